"""Identity resolution: one person key per real person across all schools and sources."""

from __future__ import annotations

import psycopg

from tests.dbt.identity_scoring import PREDICTIONS, attachment, load_truth, score

PRECISION_TARGET = 0.999
RECALL_TARGET = 0.99


def test_record_links_meet_precision_and_recall_targets(built_region):
    with psycopg.connect(built_region.url) as conn:
        load_truth(conn, built_region.ground_truth / "record_links.csv")
        token_records = score(conn, PREDICTIONS["token_records"])
        all_records = score(conn, PREDICTIONS["all_records"])
    print("\n[identity, tiny] " + token_records.line("records with person tokens"))
    print("[identity, tiny] " + all_records.line("all person records (incl. marks and absences)"))
    # rows missing are the ones ingestion rejected (planted faults): they never reach the warehouse
    assert all_records.records_scored > 0.95 * all_records.records_in_truth
    assert token_records.precision >= PRECISION_TARGET
    assert token_records.recall >= RECALL_TARGET
    assert all_records.precision >= PRECISION_TARGET
    assert all_records.recall >= RECALL_TARGET


def test_olympiad_and_destination_records_join_the_pupil(built_region):
    """Olympiad rows carry no СНИЛС: name and birth-date tokens alone must attach them to the pupil's records."""
    with psycopg.connect(built_region.url) as conn:
        load_truth(conn, built_region.ground_truth / "record_links.csv")
        olympiads = attachment(conn, "olympiads/")
        destinations = attachment(conn, "graduate_outcomes/muo_")
    print("\n[identity, tiny] " + olympiads.line("olympiad records"))
    print("[identity, tiny] " + destinations.line("leaver destination records"))
    for s in (olympiads, destinations):
        assert s.records > 0
        assert s.attached >= RECALL_TARGET * s.records
        assert s.wrongly_merged <= (1 - PRECISION_TARGET) * s.records + 1


def test_one_token_two_people_is_held_back_not_merged(built_region):
    merged_snils = built_region.query(
        """
        select resolved.person_key
        from intermediate.int_persons_resolved as resolved
        inner join intermediate.int_person_signatures as signatures using (signature_id)
        where signatures.snils_token is not null
        group by resolved.person_key
        having count(distinct signatures.snils_token) > 1
        """
    )
    assert merged_snils == [], "a person key joins two different valid СНИЛС"
    overridden = built_region.query(
        "select count(*) from intermediate.int_person_links where is_snils_overridden"
    )[0][0]
    conflicts = built_region.query("select count(*) from intermediate.int_person_match_conflicts")[0][0]
    print(
        f"\n[identity, tiny] rows whose СНИЛС was taken for a typo: {overridden}; conflicts held for review: {conflicts}"
    )


def test_every_link_names_the_rule_that_made_it(built_region):
    rules = dict(
        built_region.query(
            "select match_rule, count(*) from intermediate.int_person_links group by match_rule"
        )
    )
    print(f"\n[identity, tiny] links by rule: {rules}")
    assert None not in rules
    assert rules.get("snils", 0) > 0
    assert set(rules) <= {
        "snils",
        "local_id",
        "name_dob",
        "name_dob_swapped",
        "fuzzy_name_dob",
        "fuzzy_name_dob_swapped",
        "fuzzy_first_last_dob",
        "identical_tokens",
        "unmatched",
        "held_back",
    }
