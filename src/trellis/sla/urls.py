"""Web pages of the sla app (included under the "web" namespace)."""

urlpatterns: list = []
