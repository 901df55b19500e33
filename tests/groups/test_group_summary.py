"""The group summary's figures on a roster of 39 employees (see tests/group_documents_helpers.py)."""

import json

import pytest

from checkup.services.groups import enrollments, group_summary
from tests import factories
from tests.group_documents_helpers import GroupWorld

pytestmark = pytest.mark.both_dbs


def table(data, part, key):
    return next(t for t in data[part] if t["key"] == key)


def shown(cell):
    """What a reader sees in a cell: the number(s), or None when hidden."""
    return None if cell.hidden else (cell.count, cell.percent)


def participation(data, key):
    t = table(data, "participation", key)
    return {row["label"]: (row["enrolled"].text, row["completed"].text, row["rate"].text) for row in t["rows"]}


def prevalence(data, key):
    t = table(data, "prevalence", key)
    return {
        "sizes": {c["label"]: c["size"].text for c in t["columns"]},
        "total": t["total"].text,
        "rows": {row["label"]: ([c.text for c in row["cells"]], row["total"].text) for row in t["rows"]},
    }


def assert_no_subtraction_reveals_a_hidden_cell(data):
    """In every published table, no total minus its visible parts leaves exactly one hidden part."""
    for t in data["participation"]:
        for column in ("enrolled", "completed"):
            parts = [row[column] for row in t["rows"]]
            hidden = sum(1 for c in parts if c.hidden) + (1 if t["total"][column].hidden else 0)
            assert hidden != 1, (t["key"], column)
    for t in data["prevalence"]:
        sizes = [c["size"] for c in t["columns"]]
        assert sum(1 for c in sizes if c.hidden) + t["total"].hidden != 1, t["key"]
        for row in t["rows"]:
            assert sum(1 for c in row["cells"] if c.hidden) + row["total"].hidden != 1, (t["key"], row["label"])


def test_participation_by_band_sex_department_and_category(app):
    world = GroupWorld()
    data = group_summary.summary_data(world.contract.id, k=5)

    assert participation(data, "band") == {
        "<30": ("*", "*", "*"),
        "30–39": ("14", "12", "85.7%"),
        "40–49": ("12", "11", "91.7%"),
        "50–59": ("*", "*", "*"),  # hidden beside "<30": otherwise 39 − 14 − 12 − 10 = 3
        "60+": ("0", "0", "—"),
    }
    assert participation(data, "sex") == {"Male": ("20", "19", "95.0%"), "Female": ("19", "17", "89.5%")}
    # HR's dashboard shows department and category counts exactly: so does the summary (a small "Lab"
    # and four managers included), while bands and sexes stay suppressed
    assert participation(data, "department") == {
        "Assembly": ("24", "21", "87.5%"),
        "Lab": ("3", "3", "100.0%"),
        "Office": ("12", "12", "100.0%"),
    }
    assert participation(data, "category") == {
        "Staff": ("35", "32", "91.4%"),
        "Management": ("4", "4", "100.0%"),
        "Interns": ("0", "0", "—"),
    }
    overall = data["overall"]
    assert (shown(overall["enrolled"]), shown(overall["completed"]), overall["rate"].text) == (
        (39, None),
        (36, None),
        "92.3%",
    )
    assert_no_subtraction_reveals_a_hidden_cell(data)


def test_prevalence_counts_the_latest_current_report_of_each_completed_checkup(app):
    world = GroupWorld()
    data = group_summary.summary_data(world.contract.id, k=5)

    by_band = prevalence(data, "band")
    assert by_band["sizes"] == {"<30": "*", "30–39": "12", "40–49": "11", "50–59": "*", "60+": "0"}
    assert by_band["total"] == "36"
    assert by_band["rows"] == {
        "LDL-C (high)": (["*", "5 (41.7%)", "6 (54.5%)", "*", "0"], "20 (55.6%)"),  # nobody is 60+
        "Fasting glucose (high)": (["*", "*", "*", "*", "0"], "10 (27.8%)"),
    }
    # ALT high (4 people) is below k; haemoglobin low is on superseded and draft versions only
    assert list(prevalence(data, "sex")["rows"]) == ["LDL-C (high)", "Fasting glucose (high)"]
    assert prevalence(data, "sex")["rows"]["Fasting glucose (high)"] == (["0 (0.0%)", "10 (58.8%)"], "10 (27.8%)")
    assert data["examined"].count == 36
    assert_no_subtraction_reveals_a_hidden_cell(data)


def test_a_band_of_three_is_suppressed_and_cannot_be_worked_out_from_the_totals(app):
    world = GroupWorld()
    data = group_summary.summary_data(world.contract.id)  # the configured k: 10
    assert data["k"] == 10

    by_band = prevalence(data, "band")
    assert by_band["sizes"]["<30"] == "*"
    assert by_band["rows"]["LDL-C (high)"] == (["*", "*", "*", "*", "0"], "20 (55.6%)")
    # with the other bands' sizes and the total published, "<30" would be 36 - 12 - 11 - 10 = 3
    sizes = table(data, "prevalence", "band")["columns"]
    assert sum(1 for c in sizes if c["size"].hidden) >= 2
    assert_no_subtraction_reveals_a_hidden_cell(data)
    # nowhere in the data does the band's own figure survive: hidden cells carry no number at all
    for t in data["participation"] + data["prevalence"]:
        for row in t["rows"]:
            cells = row.get("cells", []) + [row.get(k) for k in ("enrolled", "completed", "rate", "total") if k in row]
            assert all(c.count is None and c.percent is None for c in cells if c.hidden)


def test_k_is_clamped_at_five(app):
    world = GroupWorld()
    app.config["SUPPRESSION_K"] = 2
    data = group_summary.summary_data(world.contract.id)
    assert data["k"] == 5
    # a band of 3 stays hidden (k=2 would show it); 5 people are shown (k=10 would hide them)
    assert participation(data, "band")["<30"] == ("*", "*", "*")
    assert prevalence(data, "band")["rows"]["LDL-C (high)"][0][1] == "5 (41.7%)"
    assert group_summary.summary_data(world.contract.id, k=3)["k"] == 5


def test_recommendations_follow_the_top_findings(app):
    world = GroupWorld()
    advice = group_summary.summary_data(world.contract.id)["recommendations"]
    assert advice[0].startswith("Offer an on-site screening day on LDL-C (high): 55.6%")
    assert "Hold a health lecture on Fasting glucose (high) for all employees." in advice
    assert not any("Participation was" in text for text in advice)  # 92.3% took part


def test_a_contract_without_completed_checkups(app):
    contract = factories.make_contract()
    assert group_summary.has_completed_exam(contract.id) is False
    data = group_summary.summary_data(contract.id)
    assert data["prevalence"][0]["rows"] == [] and data["recommendations"] == []
    assert data["overall"]["enrolled"].count == 0


def test_the_summary_runs_a_fixed_number_of_queries(app, count_queries):
    small = factories.make_contract()
    world = GroupWorld()
    with count_queries() as few:
        group_summary.summary_data(small.id)
    with count_queries() as many:
        group_summary.summary_data(world.contract.id)
    assert many.count == few.count + 1  # + the names of the listed findings' items


def test_department_and_category_counts_are_those_of_the_hr_dashboard(app):
    """The summary no longer hides what HR sees live: every department's and category's enrolled and
    completed counts are the dashboard's, with the same departments in the same order."""
    world = GroupWorld()
    world.employee("40–49", "male", department="")  # a department-less employee: last, on both
    data = group_summary.summary_data(world.contract.id)
    [progress] = enrollments.dashboard(world.organization.id)
    assert table(data, "participation", "department")["rows"][-1]["label"] == "No department"

    def counts(table):
        return [(row["label"], row["enrolled"].count, row["completed"].count) for row in table["rows"]]

    assert counts(table(data, "participation", "department")) == [
        (department or "No department", c.total, c["completed"]) for department, c in progress.by_department
    ]
    assert counts(table(data, "participation", "category")) == [
        (label, c.total, c["completed"]) for label, c in progress.by_category
    ]
    overall = data["overall"]
    assert (overall["enrolled"].count, overall["completed"].count) == (
        progress.totals.total,
        progress.totals["completed"],
    )


def hidden_figures(value):
    """Every stored figure marked hidden, wherever it sits in the stored figures."""
    if isinstance(value, dict):
        return ([value] if value.get("hidden") else []) + [f for v in value.values() for f in hidden_figures(v)]
    if isinstance(value, list):
        return [f for v in value for f in hidden_figures(v)]
    return []


def all_texts(data):
    """What every cell of every table reads, in order."""
    texts = []
    for t in data["participation"]:
        texts += [row[c].text for row in t["rows"] + [t["total"]] for c in ("enrolled", "completed", "rate")]
    for t in data["prevalence"]:
        texts += [c["size"].text for c in t["columns"]] + [t["total"].text]
        texts += [cell.text for row in t["rows"] for cell in row["cells"] + [row["total"]]]
    return texts


def test_stored_figures_keep_no_number_for_a_hidden_cell_and_read_alike_in_both_languages(app):
    from flask_babel import force_locale

    world = GroupWorld()
    stored, counted = group_summary.figures(world.contract.id)
    assert set(counted) == {a.id for a in world.completed}  # everyone completed has a current report
    hidden = hidden_figures(stored)
    assert hidden and all(f == {"hidden": True} for f in hidden)
    assert "Employee 01" not in json.dumps(stored, ensure_ascii=False)  # nobody is named
    english = group_summary.present(stored)
    with force_locale("zh"):
        chinese = group_summary.present(stored)
    assert chinese["prevalence"][0]["rows"][0]["label"].startswith("低密度脂蛋白胆固醇")
    assert all_texts(english) == all_texts(chinese)


def test_a_group_where_nearly_everyone_has_the_finding_is_hidden_too(app):
    """12 of 12 (or 11 of 12) examined men aged 30–39 with high glucose would say it of each of them."""
    GLU_HIGH = (1, "high")
    groups = [("30-39", None), ("40-49", None), ("50-59", None)]
    reported = (
        [("30-39", n) for n in range(12)]
        + [("40-49", 100 + n) for n in range(15)]
        + [("50-59", 200 + n) for n in range(15)]
    )
    findings = {appointment: set() for _group, appointment in reported}
    for n in range(12):
        findings[n].add(GLU_HIGH)  # every one of the 30–39 group
    for n in range(10):
        findings[100 + n].add(GLU_HIGH)
        findings[200 + n].add(GLU_HIGH)
    [t] = group_summary.prevalence_tables(
        [group_summary.PrevalenceSpec("band", groups, reported, set())], findings, [GLU_HIGH], k=10
    )
    cells = t["rows"][0]["cells"]
    assert cells[0] == {"hidden": True}, "12 of 12 is hidden"
    assert sum(1 for c in cells if c.get("hidden")) >= 2, "and it cannot be worked out from the row total"
    assert [c["size"]["n"] for c in t["columns"]] == [12, 15, 15]
