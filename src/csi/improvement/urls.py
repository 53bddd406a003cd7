"""Pages of the improvement app; each views module lists its own URL patterns."""

from csi.improvement.views import initiatives, plans, register

app_name = "improvement"
urlpatterns = [*register.urlpatterns, *plans.urlpatterns, *initiatives.urlpatterns]
