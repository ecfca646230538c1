"""Configuration groups and parameters as Trove clients send and read them."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictStr

from strongroom.api.schemas.common import Body, timestamp
from strongroom.api.schemas.instances import DatastoreBody
from strongroom.datastores.catalog import ParameterRule
from strongroom.services.configurations import ConfigurationView, NewConfiguration


class ConfigurationFields(Body):
    name: StrictStr | None = None
    description: StrictStr | None = None
    values: dict[str, Any] = Field(default_factory=dict, max_length=200)
    datastore: DatastoreBody | None = None

    def to_request(self) -> NewConfiguration:
        return NewConfiguration(
            name=self.name,
            values=self.values,
            description=self.description,
            datastore=self.datastore.type if self.datastore else None,
            datastore_version=self.datastore.version if self.datastore else None,
        )

    def to_change(self) -> NewConfiguration:
        return NewConfiguration(
            name=self.name or None,
            values=self.values,
            description=self.description,
        )


class ConfigurationBody(Body):
    configuration: ConfigurationFields


def render_configuration(view: ConfigurationView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "description": view.description,
        "values": view.values,
        "created": timestamp(view.created),
        "updated": timestamp(view.updated),
        "datastore_name": view.datastore,
        "datastore_version_id": view.datastore_version_id,
        "datastore_version_name": view.datastore_version,
        "datastore_version_number": view.datastore_version,
        "instance_count": view.instance_count,
    }


def render_parameter(rule: ParameterRule, version_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": rule.name,
        "type": "integer" if rule.type == "int" else rule.type,
        "restart_required": rule.restart_required,
        "datastore_version_id": version_id,
    }
    for key in ("min", "max"):
        bound = getattr(rule, key)
        if bound is not None:
            value = int(bound) if float(bound).is_integer() else bound
            doc[key] = value
            doc[f"{key}_size"] = value  # what openstackclient's columns read
    return doc
