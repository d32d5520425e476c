"""No HTTP pages: every HTTP request gets Django's 404."""

urlpatterns = []
