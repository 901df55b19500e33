"""The exam catalog: items, reference ranges, packages, limited resources."""
from peewee import prefetch

from checkup.models import Department, ExamItem, ReferenceRange


def reference_table(query="", limit=200):
    """Active items (with department) matching ``query`` and their reference ranges, in two queries."""
    items = (ExamItem.select(ExamItem, Department).join(Department)
             .where(ExamItem.active == True)  # noqa: E712
             .order_by(Department.sort_order, ExamItem.code))
    if query:
        term = f"%{query}%"
        items = items.where(ExamItem.code ** term | ExamItem.name_en ** term | ExamItem.name_zh ** term)
    ranges = ReferenceRange.select().order_by(ReferenceRange.sex, ReferenceRange.age_min)
    return prefetch(items.limit(limit), ranges)
