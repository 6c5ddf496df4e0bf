"""Saving a case row writes only the columns that changed since it was read.

A case process is a viewflow ``Process`` with a child table (multi-table inheritance):
a plain ``save()`` updates both tables with every column. The services change a few
columns per step (the stage and the step's own fields), so the mixin compares the row
with what was read and passes the changed columns as ``update_fields``: one UPDATE of
the table that holds them, none of the other, and no overwrite of columns another
transaction changed meanwhile. A row with nothing changed is not written (and sends no
``post_save``). An explicit ``update_fields`` and new rows are saved as Django does.
"""

import copy


def _frozen(value):
    # A JSON column (viewflow's ``data``) is changed in place: keep a copy to compare.
    if isinstance(value, (dict, list)):
        return copy.deepcopy(value)
    return value


class SavesChangedFieldsMixin:
    def _column_values(self) -> dict:
        loaded = self.__dict__
        return {
            field.attname: _frozen(loaded[field.attname])
            for field in self._meta.concrete_fields
            if not field.primary_key and field.attname in loaded
        }

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._read_values = instance._column_values()
        return instance

    def changed_columns(self) -> list[str] | None:
        """The attnames changed since the row was read or last saved; None when the
        instance was never read (a new row, or one built by hand)."""
        read = getattr(self, "_read_values", None)
        if read is None or self._state.adding:
            return None
        return [
            name
            for name, value in self._column_values().items()
            if name not in read or read[name] != value
        ]

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        read = getattr(self, "_read_values", None)
        if read is not None:
            current = self._column_values()
            names = (
                current
                if fields is None
                else [self._meta.get_field(name).attname for name in fields]
            )
            read.update({name: current[name] for name in names if name in current})

    def save(self, *args, **kwargs):
        if not args and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            changed = self.changed_columns()
            if changed is not None:
                if not changed:
                    return
                kwargs["update_fields"] = changed
        super().save(*args, **kwargs)
        self._read_values = self._column_values()
