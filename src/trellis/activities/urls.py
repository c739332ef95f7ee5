"""Web pages of the activities app (included under the "web" namespace)."""

urlpatterns: list = []
