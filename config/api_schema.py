"""The OpenAPI schema of the REST API: drf-spectacular's, with the error responses every
operation can give (so that clients, and schemathesis, know them)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from config.api import VersionedMixin

# The Error and ValidationError components are declared in settings (APPEND_COMPONENTS).
_ERROR = {"$ref": "#/components/schemas/Error"}
_BAD_REQUEST = {"anyOf": [{"$ref": "#/components/schemas/ValidationError"}, _ERROR]}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses every operation can give."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A shown optional e-mail or web address is "" when not given: say so, or the schema
        # would claim that every such value is a valid address. (Input fields that allow ""
        # are described that way by drf-spectacular already.)
        for name, field in serializer.fields.items():
            prop = schema.get("properties", {}).get(name)
            if (
                field.read_only
                and isinstance(field, serializers.EmailField | serializers.URLField)
                and prop is not None
                and "format" in prop
            ):
                prop["anyOf"] = [{"format": prop.pop("format")}, {"maxLength": 0}]
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {
            "400": (_BAD_REQUEST, "Invalid input, filter or query parameter."),
            "401": (_ERROR, "Not signed in (no valid session or token)."),
            "403": (_ERROR, "Not allowed for your role."),
            "404": (_ERROR, "No such resource, or not visible to you; or an invalid page."),
            "429": (_ERROR, "Too many requests; see Retry-After."),
        }
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors["409"] = (_ERROR, "Conflicts with the current state or a stale version.")
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = (_ERROR, "The body's media type is not one the operation reads.")
        if self.method in ("PUT", "PATCH") and isinstance(self.view, VersionedMixin):
            errors["412"] = (_ERROR, "If-Match names an older version.")
            errors["428"] = (_ERROR, 'Neither If-Match nor a "version" field was given.')
        for code, (schema, description) in errors.items():
            responses.setdefault(
                code,
                {"content": {"application/json": {"schema": schema}}, "description": description},
            )
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if (
            status_code == "200"
            and isinstance(self.view, VersionedMixin)
            and self.method in ("GET", "PUT", "PATCH")
            and not self._is_list_view()
        ):
            headers = {
                **headers,
                "ETag": {
                    "schema": {"type": "string"},
                    "description": "The version of the resource, for If-Match.",
                },
            }
        return headers
