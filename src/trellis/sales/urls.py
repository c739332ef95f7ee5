"""Web pages of the sales app (included under the "web" namespace)."""

urlpatterns: list = []
