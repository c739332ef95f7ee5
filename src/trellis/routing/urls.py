"""Web pages of the routing app (included under the "web" namespace)."""

urlpatterns: list = []
