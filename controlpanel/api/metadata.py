"""What ``OPTIONS`` answers on the API: name, description, renders and parses.

DRF's default metadata also describes the writable fields of PUT/POST, and to do so calls the
view's ``get_object()``, which raises (a 500) on views that look their object up themselves
instead of through ``queryset``. The OpenAPI schema (``/api/v1/schema/``) already documents
every field, so ``OPTIONS`` leaves them out and can never fail.
"""

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    def determine_actions(self, request, view) -> dict:
        return {}
