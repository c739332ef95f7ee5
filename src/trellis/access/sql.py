"""SQL pieces the access engine needs that Django does not ship."""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class InSubquery(Lookup):
    """`field__in_subquery=<queryset>`: membership in a subquery's values, in a form the
    database can plan with indexes inside an OR.

    PostgreSQL turns a plain `x IN (subquery)` under OR into a hashed filter that no index
    can serve; `x = ANY(ARRAY(subquery))` is computed once (an InitPlan) and can drive a
    bitmap index scan, so a narrow user's visible set is found through the indexes instead
    of by walking the whole table. Other databases get the plain IN."""

    lookup_name = "in_subquery"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        return ("%s", [value])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(InSubquery)
ForeignObject.register_lookup(InSubquery)
