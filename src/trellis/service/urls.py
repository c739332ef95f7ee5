"""Web pages of the service app (included under the "web" namespace)."""

urlpatterns: list = []
