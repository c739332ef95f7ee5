"""Web pages of the routing app (included under the "web" namespace)."""

from django.urls import path

from trellis.routing import views

urlpatterns = [
    path("routing/rules/", views.rule_list, name="routing_rules"),
    path("routing/rules/new/", views.rule_create, name="routing_rule_create"),
    path("routing/rules/<int:pk>/edit/", views.rule_edit, name="routing_rule_edit"),
    path("routing/rules/<int:pk>/toggle/", views.rule_toggle, name="routing_rule_toggle"),
    path("routing/rules/<int:pk>/move/", views.rule_move, name="routing_rule_move"),
    path("routing/simulate/", views.simulate, name="routing_simulate"),
    path("routing/queues/", views.queue_list, name="routing_queues"),
    path("routing/queues/<int:pk>/", views.queue_detail, name="routing_queue"),
    path("routing/queues/<int:pk>/take-next/", views.queue_take_next, name="routing_take_next"),
    path("routing/assignments/", views.history, name="routing_history"),
]
