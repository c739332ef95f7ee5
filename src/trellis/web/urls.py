from django.urls import path

from trellis.activities import urls as activities
from trellis.analytics import urls as analytics
from trellis.customers import urls as customers
from trellis.dataio import urls as dataio
from trellis.notifications import urls as notifications
from trellis.org import urls as org
from trellis.routing import urls as routing
from trellis.sales import urls as sales
from trellis.search import urls as search
from trellis.service import urls as service
from trellis.sla import urls as sla
from trellis.web import bulk, saved_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_switch, name="language"),
    *bulk.urlpatterns,
    *saved_views.urlpatterns,
]
# Each domain app lists its own pages; they share the "web" namespace.
for app in (
    customers,
    sales,
    service,
    activities,
    dataio,
    search,
    routing,
    sla,
    notifications,
    analytics,
    org,
):
    urlpatterns += app.urlpatterns
