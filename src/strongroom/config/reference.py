"""Every option with its type, default and help, read off the settings model itself."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from strongroom.config.settings import Settings


def option_reference(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Lines `key (type, default): help`, nested sections as `section.key`."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        key = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from option_reference(annotation, f"{key}.")
            continue
        default = field.default
        if default is PydanticUndefined:
            default = field.default_factory() if field.default_factory else "(required)"  # type: ignore[call-arg]
        type_name = getattr(annotation, "__name__", str(annotation)).replace("typing.", "")
        yield f"{key} ({type_name}, default {default!r}): {field.description or ''}"
