"""The demo catalog for the exam floor: every lab item's container and station, fasting items, items for one
sex only, the stations' order rules and the add-on modules (data in ``demo_data``)."""

from checkup.demo import demo_data
from checkup.models import AddonModule, AddonModuleItem, ExamItem, StationOrderRule


def seed_floor(departments, items):
    """Write the floor's catalog onto the departments and items ``_catalog`` made ({code: row})."""
    for code, container in demo_data.ITEM_CONTAINERS.items():
        station = departments[demo_data.ITEM_STATIONS[code]]
        ExamItem.update(container=container, station=station).where(ExamItem.id == items[code].id).execute()
    for codes, sex in ((demo_data.FEMALE_ONLY_ITEMS, "female"), (demo_data.MALE_ONLY_ITEMS, "male")):
        ExamItem.update(sex=sex).where(ExamItem.id.in_([items[c].id for c in codes])).execute()
    ExamItem.update(fasting=True).where(ExamItem.id.in_([items[c].id for c in demo_data.FASTING_ITEMS])).execute()
    StationOrderRule.insert_many(
        [
            dict(before=departments[first], after=departments[then], note_en=en, note_zh=zh)
            for first, then, en, zh in demo_data.STATION_ORDER_RULES
        ]
    ).execute()
    for order, row in enumerate(demo_data.ADDON_MODULES):
        module = AddonModule.create(sort_order=order, **{k: v for k, v in row.items() if k != "items"})
        AddonModuleItem.insert_many([{"module": module.id, "item": items[c].id} for c in row["items"]]).execute()
    return len(demo_data.ADDON_MODULES)
