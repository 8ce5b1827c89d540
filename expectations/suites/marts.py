"""Checks on the core marts: what every dashboard and statistical form relies on."""

from __future__ import annotations

SCHOOL_TYPES = ["НОШ", "ООШ", "СОШ", "Гимназия", "Лицей", "Коррекционная школа"]
EDUCATION_LEVELS = ["начальное", "основное", "среднее"]
EVENT_TYPES = [
    "admitted",
    "transferred_in",
    "transferred_out",
    "promoted",
    "repeated",
    "graduated",
    "expelled",
    "dropped_out",
    "left_region",
    "home_education",
]


def dim_school():
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name="marts.dim_school")
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="school_key"))
    suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=["school_key", "valid_from"]))
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column="school_type", value_set=SCHOOL_TYPES))
    suite.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column="inn", regex=r"^03\d{8}$"))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="municipality_key"))
    return suite


def fct_enrolment_snapshot():
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name="marts.fct_enrolment_snapshot")
    for column in ("person_key", "school_key", "snapshot_date", "school_year"):
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="grade", min_value=1, max_value=11))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(column="education_level", value_set=EDUCATION_LEVELS)
    )
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    return suite


def fct_enrolment_events():
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name="marts.fct_enrolment_events")
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="person_key"))
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="event_date"))
    return suite


# (schema, table) → suite factory
SUITES = {
    ("marts", "dim_school"): dim_school,
    ("marts", "fct_enrolment_snapshot"): fct_enrolment_snapshot,
    ("marts", "fct_enrolment_events"): fct_enrolment_events,
}
