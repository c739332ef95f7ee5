"""Web pages of the notifications app (included under the "web" namespace)."""

urlpatterns: list = []
