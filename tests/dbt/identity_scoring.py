"""Pairwise precision and recall of record → person links against the generator's ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg


@dataclass
class LinkScore:
    records_in_truth: int
    records_scored: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def line(self, label: str) -> str:
        return (
            f"{label}: precision {self.precision:.5f}, recall {self.recall:.5f} "
            f"({self.correct_pairs} of {self.predicted_pairs} predicted pairs right, {self.true_pairs} true pairs; "
            f"{self.records_scored} of {self.records_in_truth} ground-truth records present in the warehouse)"
        )


PREDICTIONS = {
    # rows that carry a person's tokens: the identity graph itself
    "token_records": """
        select _source_file as file, _source_row as row, person_role as role, person_key
        from intermediate.int_person_links
    """,
}
PREDICTIONS["all_records"] = (
    PREDICTIONS["token_records"]
    + """
        union all
        select distinct _source_file, _source_row, 'student', person_key from intermediate.int_absences_unioned
        union all
        select distinct _source_file, _source_row, 'student', person_key from intermediate.int_marks_unpivoted
    """
)


def load_truth(conn: psycopg.Connection, record_links: Path) -> None:
    conn.execute("create temp table truth_links (file text, row integer, person_id text, role text)")
    with conn.cursor().copy("copy truth_links from stdin with (format csv, header true)") as copy:
        with record_links.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    # A (file, row, role) the truth assigns to two people cannot be scored (seen at demo scale: two branches
    # of one school writing the same landing path, the second file overwriting the first); leave those out.
    conn.execute(
        """
        delete from truth_links where (file, row, role) in (
            select file, row, role from truth_links group by 1, 2, 3 having count(distinct person_id) > 1
        )
        """
    )
    conn.execute("create index on truth_links (file, row, role)")
    conn.execute("analyze truth_links")


def score(conn: psycopg.Connection, prediction_sql: str) -> LinkScore:
    row = conn.execute(
        f"""
        with predicted as ({prediction_sql}),
        joined as (
            select truth_links.person_id, predicted.person_key
            from truth_links
            inner join predicted
                on predicted.file = truth_links.file and predicted.row = truth_links.row
                and predicted.role = truth_links.role
        ),
        cells as (select person_id, person_key, count(*)::numeric as n from joined group by 1, 2),
        by_truth as (select sum(n) as n from cells group by person_id),
        by_prediction as (select sum(n) as n from cells group by person_key)
        select
            (select count(*) from truth_links),
            (select count(*) from joined),
            (select coalesce(sum(n * (n - 1) / 2), 0) from by_truth),
            (select coalesce(sum(n * (n - 1) / 2), 0) from by_prediction),
            (select coalesce(sum(n * (n - 1) / 2), 0) from cells)
        """
    ).fetchone()
    return LinkScore(*(int(v) for v in row))


@dataclass
class AttachmentScore:
    records: int
    attached: int  # linked to the person key that holds most records of the true person
    wrongly_merged: int  # sharing their person key with records of another true person

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.records} records, attached to the right person {self.attached / max(self.records, 1):.4%}, "
            f"merged with someone else {self.wrongly_merged / max(self.records, 1):.4%}"
        )


def attachment(conn: psycopg.Connection, file_prefix: str) -> AttachmentScore:
    """How records of one source join the rest of the identity graph (needs ``load_truth`` first).

    A source without СНИЛС (olympiads) may be pairwise-consistent among its own rows and still sit apart from the
    pupil's school records; this scores each of its records against the person key that carries most of the true
    person's records across all sources."""
    row = conn.execute(
        f"""
        with predicted as ({PREDICTIONS["token_records"]}),
        joined as (
            select truth_links.file, truth_links.person_id, predicted.person_key
            from truth_links
            inner join predicted
                on predicted.file = truth_links.file and predicted.row = truth_links.row
                and predicted.role = truth_links.role
        ),
        per_person as (
            select person_id, person_key, count(*) as n,
                row_number() over (partition by person_id order by count(*) desc, person_key) as rank
            from joined group by 1, 2
        ),
        home as (select person_id, person_key from per_person where rank = 1),
        key_people as (select person_key, count(distinct person_id) as people from joined group by 1)
        select
            count(*),
            count(*) filter (where home.person_key = joined.person_key),
            count(*) filter (where key_people.people > 1)
        from joined
        inner join home using (person_id)
        inner join key_people on key_people.person_key = joined.person_key
        where joined.file like %s
        """,
        (file_prefix + "%",),
    ).fetchone()
    return AttachmentScore(*(int(v) for v in row))
