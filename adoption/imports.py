"""Moving readers in from another service: analyse a file, show what would happen, import it.

Nothing is written to readers until staff confirm; the confirmed import reads the rows stored
at analysis, so it imports exactly what was previewed (re-checked against signups made since).
Every imported reader is remembered by a fingerprint of (source, address or LINE id): the same
file uploaded again imports nothing. Logs carry counts and ids, never an address.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower

from delivery import outbox
from kizuna import clock
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber, Subscription

from . import readers_file
from .models import IMPORT_MESSAGE_KIND, ImportBatch, ImportedReader, ImportRow
from .readers_file import FileProblem, ParsedRow, Rules

logger = logging.getLogger(__name__)

CHUNK = 2_000
Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """A step the rules refuse; the message is shown to staff as it is."""


def start(
    municipality: Municipality, *, raw: bytes, file_name: str, source_name: str, by=None
) -> ImportBatch:
    """Keep the uploaded file for analysis (a task, or the command, analyses it)."""
    return ImportBatch.objects.create(
        municipality=municipality,
        file=raw,
        file_name=file_name[:200],
        source_name=source_name.strip()[:60],
        uploaded_by=by,
    )


def rules_for(municipality: Municipality) -> Rules:
    return Rules(
        today=clock.today(),
        programme_months=municipality.programme_months,
        email_enabled=municipality.email_enabled,
        line_enabled=municipality.line_enabled,
        grace_days=settings.KIZUNA_BIRTH_GRACE_DAYS,
    )


def _chunks(items: list, size: int = 5_000) -> Iterable[list]:
    for start_at in range(0, len(items), size):
        yield items[start_at : start_at + size]


def _existing_contacts(municipality_id: int, emails: set, line_ids: set) -> set[str]:
    """``email:…`` and ``line:…`` of readers already in the municipality, among these."""
    found: set[str] = set()
    readers = Subscriber.objects.filter(municipality_id=municipality_id)
    for chunk in _chunks(sorted(emails)):
        found |= {
            f"email:{address}"
            for address in readers.annotate(address=Lower("email"))
            .filter(address__in=chunk)
            .values_list("address", flat=True)
        }
    for chunk in _chunks(sorted(line_ids)):
        found |= {
            f"line:{user}"
            for user in readers.filter(line_user_id__in=chunk).values_list(
                "line_user_id", flat=True
            )
        }
    return found


def _contacts_of(row: ParsedRow) -> list[str]:
    contacts = []
    if row.data.get("email"):
        contacts.append(f"email:{row.data['email']}")
    if row.data.get("line_user_id"):
        contacts.append(f"line:{row.data['line_user_id']}")
    return contacts


def _imported_fingerprints(municipality_id: int, fingerprints: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(fingerprints):
        found |= set(
            ImportedReader.objects.filter(
                municipality_id=municipality_id, fingerprint__in=chunk
            ).values_list("fingerprint", flat=True)
        )
    return found


def _imported_families(municipality_id: int, source: str, keys: set[str]) -> dict[str, dict]:
    families: dict[str, dict] = {}
    for chunk in _chunks(sorted(keys)):
        for key, due, birth in ImportedReader.objects.filter(
            municipality_id=municipality_id, source_key=source, family_key__in=chunk
        ).values_list("family_key", "child__due_date", "child__birth_date"):
            families.setdefault(
                key,
                {
                    "due_date": due.isoformat() if due else None,
                    "birth_date": birth.isoformat() if birth else None,
                },
            )
    return families


INTERRUPTED = (
    "前回の確認が途中で止まりました（ファイルが大きすぎるか、複雑すぎる可能性があります）。"
    "ファイルを分けるか、CSVで保存してアップロードし直してください。"
)
UNEXPECTED = (
    "ファイルの確認中に問題が起きました。CSV（UTF-8 か Shift_JIS）で保存し直して、"
    "もう一度アップロードしてください。"
)
TIMED_OUT = (
    "ファイルの確認が時間内に終わりませんでした。ファイルを分けてアップロードし直してください。"
)


def fail(batch_id: int, reason: str) -> ImportBatch:
    """End a batch that could not be analysed: failed, with the reason staff read, and neither
    the uploaded file nor any row of it kept."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == ImportBatch.Status.ANALYSING:
            batch.rows.all().delete()
            batch.status = ImportBatch.Status.FAILED
            batch.error = reason[:500]
            batch.file = None
            batch.save(update_fields=["status", "error", "file"])
    logger.info("import batch %s failed", batch.pk)
    return batch


def analyse(batch_id: int, *, progress: Progress | None = None) -> ImportBatch:
    """Read the file and decide, row by row, what confirming would do. Writes no reader.

    Whatever goes wrong ends the batch as failed, with a reason, its file erased; a batch whose
    previous attempt never finished (its worker killed: out of memory, or past its time limit)
    is not read again, so a file that kills workers cannot do it in a loop.
    """
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.ANALYSING).update(
        analysis_attempts=F("analysis_attempts") + 1
    )
    batch = ImportBatch.objects.select_related("municipality").get(pk=batch_id)
    if not claimed:
        return batch
    if batch.analysis_attempts > 1:
        return fail(batch.pk, INTERRUPTED)
    try:
        return _analyse(batch, progress)
    except FileProblem as problem:
        return fail(batch.pk, str(problem))
    except SoftTimeLimitExceeded:
        return fail(batch.pk, TIMED_OUT)
    except Exception:
        logger.exception("import batch %s: analysis failed", batch.pk)
        return fail(batch.pk, UNEXPECTED)


def _analyse(batch: ImportBatch, progress: Progress | None) -> ImportBatch:
    dataset = readers_file.load(bytes(batch.file or b""), batch.file_name)
    columns = readers_file.map_headers(list(dataset.headers))

    rules = rules_for(batch.municipality)
    source = readers_file.source_key(batch.source_name)
    total = dataset.height
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=total)
    parsed = []
    for number, values in enumerate(dataset, start=2):  # line 1 is the header
        cells = readers_file.cells_of(values, columns)
        if all(value in (None, "") for value in cells.values()):
            continue  # a blank line is not a row
        parsed.append(readers_file.parse_row(number, cells, rules))
        if progress and len(parsed) % CHUNK == 0:
            progress(len(parsed) // 2, total)

    valid = [row for row in parsed if not row.problems]
    emails = {row.data["email"] for row in valid if row.data.get("email")}
    line_ids = {row.data["line_user_id"] for row in valid if row.data.get("line_user_id")}
    existing = _existing_contacts(batch.municipality_id, emails, line_ids)
    fingerprints = {id(row): readers_file.fingerprint(source, row.contact) for row in valid}
    child_fingerprints = {
        id(row): readers_file.fingerprint(source, f"{row.contact}\n{row.data['family_key']}")
        for row in valid
        if row.data["family_key"]
    }
    imported = _imported_fingerprints(
        batch.municipality_id, [*fingerprints.values(), *child_fingerprints.values()]
    )
    families = _imported_families(
        batch.municipality_id, source, {r.data["family_key"] for r in valid if r.data["family_key"]}
    )

    seen_contacts: dict[str, int] = {}
    family_rows: dict[str, int] = {}
    first_of_family: dict[str, dict] = {}
    # A reader following several children appears on one row per child (as the export writes
    # them): the reader's first row, and the families it follows so far.
    reader_rows: dict[int, tuple[list[str], set[str]]] = {}
    rows: list[ImportRow] = []
    counts = dict.fromkeys(ImportRow.Action.values, 0)
    for row in parsed:
        action, merge_with = ImportRow.Action.CREATE, None
        reasons = list(row.problems)
        family_key = row.data.get("family_key") or ""
        contacts = _contacts_of(row) if not reasons else []
        duplicate = next((seen_contacts[c] for c in contacts if c in seen_contacts), None)
        another_child = (
            duplicate is not None
            and bool(family_key)
            and duplicate in reader_rows
            and reader_rows[duplicate][0] == contacts
            and family_key not in reader_rows[duplicate][1]
        )
        # The reader's further children are remembered under the contact and the family.
        fp = (child_fingerprints if another_child else fingerprints).get(id(row), "")
        anchor = {"due_date": row.data.get("due_date"), "birth_date": row.data.get("birth_date")}
        if reasons:
            action = ImportRow.Action.REJECT
        elif fp in imported:
            action = ImportRow.Action.ALREADY
            reasons.append(f"「{batch.source_name}」からすでに取り込んでいます")
        else:
            if duplicate and not another_child:
                action = ImportRow.Action.REJECT
                reasons.append(f"{duplicate}行目と同じ連絡先です（ファイル内の重複）")
            elif not duplicate and any(c in existing for c in contacts):
                action = ImportRow.Action.REJECT
                reasons.append("この連絡先はすでに登録されています（本人の登録を優先します）")
            elif family_key and (family_key in family_rows or family_key in families):
                first = families.get(family_key) or first_of_family[family_key]
                if {k: first.get(k) for k in anchor} != anchor:
                    action = ImportRow.Action.REJECT
                    reasons.append("同じ家族IDなのに出産予定日・生年月日が違います")
                else:
                    action = ImportRow.Action.CHILD if another_child else ImportRow.Action.MERGE
                    merge_with = family_rows.get(family_key)
                    reasons.append(
                        f"{merge_with}行目の家族と同じお子さまをフォローします"
                        if merge_with
                        else "以前に取り込んだ家族と同じお子さまをフォローします"
                    )
            elif another_child:
                action = ImportRow.Action.CHILD
            if action == ImportRow.Action.CHILD:
                reasons.insert(0, f"{duplicate}行目の読者が、別のお子さまもフォローします")
                reader_rows[duplicate][1].add(family_key)
                row.data["reader_line"] = duplicate
                row.data["new_child"] = merge_with is None and family_key not in families
            for contact in contacts:
                seen_contacts.setdefault(contact, row.line)
            if action in (ImportRow.Action.CREATE, ImportRow.Action.MERGE):
                reader_rows[row.line] = (contacts, {family_key})
            starts_family = action == ImportRow.Action.CREATE or (
                action == ImportRow.Action.CHILD and row.data["new_child"]
            )
            if family_key and starts_family:
                family_rows[family_key] = row.line
                first_of_family[family_key] = row.data
        counts[action] += 1
        keep = action in (ImportRow.Action.CREATE, ImportRow.Action.MERGE, ImportRow.Action.CHILD)
        rows.append(
            ImportRow(
                batch=batch,
                line=row.line,
                action=action,
                reasons="／".join(reasons)[:500],
                contact_hint=readers_file.mask(row.contact),
                relationship=readers_file.RELATIONSHIP_LABELS.get(
                    row.data.get("relationship") or "", ""
                ),
                data=row.data if keep else {},
                fingerprint=fp if keep else "",
                family_key=family_key,
                merge_with_line=merge_with,
            )
        )
    written = 0
    for chunk in _chunks(rows, CHUNK):
        ImportRow.objects.bulk_create(chunk)
        written += len(chunk)
        if progress:
            progress(total // 2 + written // 2, total)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.PREVIEWED,
        total_rows=len(rows),
        rows_done=0,
        to_create=counts[ImportRow.Action.CREATE],
        to_merge=counts[ImportRow.Action.MERGE] + counts[ImportRow.Action.CHILD],
        already_imported=counts[ImportRow.Action.ALREADY],
        rejected=counts[ImportRow.Action.REJECT],
        analysed_at=clock.now(),
        file=None,  # the parsed rows are what will be imported; the file is not kept
    )
    logger.info(
        "import batch %s analysed: %s", batch.pk, counts, extra={"event": "import_analysed"}
    )
    batch.refresh_from_db()
    return batch


@transaction.atomic
def confirm(batch_id: int, *, by=None) -> ImportBatch:
    """Staff confirmed the preview: the import may run (once, however often this is called)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status in (ImportBatch.Status.IMPORTING, ImportBatch.Status.DONE):
        return batch
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ImportRefused("確認待ちの取り込みではありません。")
    batch.status = ImportBatch.Status.IMPORTING
    batch.confirmed_by = by
    batch.confirmed_at = clock.now()
    batch.rows_done = 0
    batch.save(update_fields=["status", "confirmed_by", "confirmed_at", "rows_done"])
    return batch


@transaction.atomic
def discard(batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ImportRefused("確認待ちの取り込みだけを取りやめられます。")
    batch.status = ImportBatch.Status.DISCARDED
    batch.save(update_fields=["status"])
    batch.rows.all().update(data={})
    return batch


def welcome_time(municipality: Municipality, now: datetime.datetime) -> datetime.datetime:
    """The municipality's next delivery time: the welcome arrives with the first morning's
    message, not in the middle of the night the import ran."""
    local = now.astimezone(clock.TOKYO)
    at = datetime.datetime.combine(local.date(), municipality.delivery_time, tzinfo=clock.TOKYO)
    return at if at >= local else at + datetime.timedelta(days=1)


def run(batch_id: int, *, progress: Progress | None = None) -> ImportBatch:
    """Import a confirmed batch, a chunk of rows per transaction; safe to run again."""
    batch = ImportBatch.objects.select_related("municipality").get(pk=batch_id)
    if batch.status != ImportBatch.Status.IMPORTING:
        return batch
    pending = batch.rows.filter(
        action__in=[ImportRow.Action.CREATE, ImportRow.Action.MERGE, ImportRow.Action.CHILD],
        outcome=ImportRow.Outcome.PENDING,
    ).order_by("line")
    todo = pending.count()
    done = batch.rows_done
    total = done + todo
    while True:
        chunk = list(pending[:CHUNK])
        if not chunk:
            break
        _import_chunk(batch, chunk)
        done += len(chunk)
        ImportBatch.objects.filter(pk=batch.pk).update(rows_done=done)
        if progress:
            progress(done, total)
    outcomes = dict.fromkeys(ImportRow.Outcome.values, 0)
    for outcome in batch.rows.values_list("outcome", flat=True):
        outcomes[outcome] += 1
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE,
        finished_at=clock.now(),
        imported=outcomes[ImportRow.Outcome.IMPORTED],
        skipped_at_import=outcomes[ImportRow.Outcome.SKIPPED],
    )
    # The addresses and dates have moved into readers; the rows keep only what happened.
    batch.rows.exclude(data={}).update(data={})
    logger.info(
        "import batch %s done: %d imported, %d skipped",
        batch.pk,
        outcomes[ImportRow.Outcome.IMPORTED],
        outcomes[ImportRow.Outcome.SKIPPED],
        extra={"event": "import_done"},
    )
    batch.refresh_from_db()
    return batch


def _import_chunk(batch: ImportBatch, rows: list[ImportRow]) -> None:
    try:
        with transaction.atomic():
            _write_chunk(batch, rows)
    except IntegrityError:
        # A signup or another import took an address between the check and the insert: import
        # this chunk one row at a time so one conflict costs one row, not two thousand.
        for row in rows:
            try:
                with transaction.atomic():
                    _write_chunk(batch, [row])
            except IntegrityError:
                _skip([row], "取り込み中に同じ連絡先の登録がありました")


def _skip(rows: list[ImportRow], reason: str) -> None:
    for row in rows:
        row.outcome = ImportRow.Outcome.SKIPPED
        row.reasons = "／".join(filter(None, [row.reasons, reason]))[:500]
    ImportRow.objects.bulk_update(rows, ["outcome", "reasons"])


def _write_chunk(batch: ImportBatch, rows: list[ImportRow]) -> None:
    municipality = batch.municipality
    # One import at a time per municipality: fingerprints and families are read, then written.
    Municipality.objects.select_for_update().filter(pk=municipality.pk).first()
    now = clock.now()
    source = readers_file.source_key(batch.source_name)
    already = _imported_fingerprints(municipality.pk, [row.fingerprint for row in rows])
    emails = {row.data["email"] for row in rows if row.data.get("email")}
    line_ids = {row.data["line_user_id"] for row in rows if row.data.get("line_user_id")}
    taken = _existing_contacts(municipality.pk, emails, line_ids)

    def contacts(row: ImportRow) -> list[str]:
        return _contacts_of(ParsedRow(row.line, row.data))

    skipped_already = [row for row in rows if row.fingerprint in already]
    # A further child's row finds its own reader registered: that is the point.
    skipped_taken = [
        row
        for row in rows
        if row.fingerprint not in already
        and row.action != ImportRow.Action.CHILD
        and any(c in taken for c in contacts(row))
    ]
    _skip(skipped_already, "取り込みまでの間に、ほかの取り込みで登録されました")
    _skip(skipped_taken, "取り込みまでの間に、本人が登録しました")
    left_out = {row.line for row in skipped_already + skipped_taken}
    rows = [row for row in rows if row.line not in left_out]
    if not rows:
        return

    # Families: new ones are created here; merges join the child of their family's first row.
    creating = [
        row
        for row in rows
        if row.action == ImportRow.Action.CREATE
        or (row.action == ImportRow.Action.CHILD and row.data.get("new_child"))
    ]
    children = Child.objects.bulk_create(
        [
            Child(
                municipality=municipality,
                due_date=row.data.get("due_date"),
                birth_date=row.data.get("birth_date"),
                status=Child.Status.BORN if row.data.get("birth_date") else Child.Status.EXPECTING,
                status_changed_at=now if row.data.get("birth_date") else None,
            )
            for row in creating
        ]
    )
    child_of = {row.line: child.pk for row, child in zip(creating, children, strict=True)}
    family_child = dict(
        ImportedReader.objects.filter(
            municipality=municipality,
            source_key=source,
            family_key__in={row.family_key for row in rows if row.family_key},
        )
        .order_by("pk")
        .values_list("family_key", "child_id")
    )
    family_child.update({row.family_key: child_of[row.line] for row in creating if row.family_key})
    ended = set(
        Child.objects.filter(pk__in=family_child.values())
        .exclude(status__in=[Child.Status.EXPECTING, Child.Status.BORN])
        .values_list("pk", flat=True)
    )
    merging = [
        row
        for row in rows
        if row.action == ImportRow.Action.MERGE
        or (row.action == ImportRow.Action.CHILD and not row.data.get("new_child"))
    ]
    orphans = [
        row
        for row in merging
        if family_child.get(row.family_key) is None or family_child[row.family_key] in ended
    ]
    _skip(orphans, "この家族の配信は終了しているか、家族が見つかりません")
    orphan_lines = {row.line for row in orphans}
    for row in merging:
        if row.line not in orphan_lines:
            child_of[row.line] = family_child[row.family_key]
    rows = [row for row in rows if row.line in child_of]
    further_children = [row for row in rows if row.action == ImportRow.Action.CHILD]
    rows = [row for row in rows if row.action != ImportRow.Action.CHILD]

    readers = Subscriber.objects.bulk_create(
        [
            Subscriber(
                municipality=municipality,
                email=row.data.get("email"),
                line_user_id=row.data.get("line_user_id"),
                channel=row.data["channel"],
                relationship=row.data["relationship"],
                nickname=row.data.get("nickname") or "",
                language=row.data.get("language") or "ja",
                source=Subscriber.Source.IMPORT,
                consent_at=datetime.datetime.fromisoformat(row.data["consent_at"]),
                consent_policy_version=f"import:{batch.pk}",
                # Confirmed now: the planner starts them at the next plan (their stage of
                # that day), never at days before today.
                confirmed_at=now,
            )
            for row in rows
        ]
    )
    triples = [
        (row.pk, reader.pk, child_of[row.line]) for row, reader in zip(rows, readers, strict=True)
    ]
    reader_of_line = {row.line: reader.pk for row, reader in zip(rows, readers, strict=True)}
    reader_of_line.update(
        batch.rows.filter(
            line__in={row.data["reader_line"] for row in further_children} - set(reader_of_line),
            outcome=ImportRow.Outcome.IMPORTED,
        ).values_list("line", "subscriber_id")
    )
    orphans = [row for row in further_children if row.data["reader_line"] not in reader_of_line]
    _skip(orphans, "この読者の最初の行を取り込めませんでした")
    for row in further_children:
        if row not in orphans:
            rows.append(row)
            triples.append((row.pk, reader_of_line[row.data["reader_line"]], child_of[row.line]))
    if not triples:
        return
    _mark_imported(triples)
    # The rest is set-based, from the rows just marked: follows, fingerprints, welcomes.
    row_ids = [row.pk for row in rows]
    welcome_at = welcome_time(municipality, now)
    in_rows = ", ".join(["%s"] * len(row_ids))
    db = connection.ops
    statements = [
        (
            f"INSERT INTO {Subscription._meta.db_table} (subscriber_id, child_id, created_at)"  # noqa: S608 (table names and placeholders only)
            f" SELECT subscriber_id, child_id, %s FROM {ImportRow._meta.db_table}"
            f" WHERE id IN ({in_rows})",
            [db.adapt_datetimefield_value(now), *row_ids],
        ),
        (
            f"INSERT INTO {ImportedReader._meta.db_table} (municipality_id, fingerprint,"  # noqa: S608
            " source_key, family_key, subscriber_id, child_id, batch_id, created_at)"
            f" SELECT %s, fingerprint, %s, family_key, subscriber_id, child_id, batch_id, %s"
            f" FROM {ImportRow._meta.db_table} WHERE id IN ({in_rows})",
            [municipality.pk, source, db.adapt_datetimefield_value(now), *row_ids],
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    outbox.enqueue_readers(
        outbox.MessageKey.for_record(IMPORT_MESSAGE_KIND, batch.pk),
        Subscriber.objects.filter(
            pk__in=ImportRow.objects.filter(pk__in=row_ids).values("subscriber_id")
        ),
        due_on=welcome_at.astimezone(clock.TOKYO).date(),
        send_from=welcome_at,
    )


def _mark_imported(triples: list[tuple[int, int, int]]) -> None:
    """One UPDATE … FROM (VALUES …) for the chunk (bulk_update's CASE per row is far slower)."""
    values = ", ".join(["(%s, %s, %s)"] * len(triples))
    table = ImportRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(row_id, subscriber_id, child_id) AS (VALUES {values}) "  # noqa: S608
            f"UPDATE {table} SET outcome = %s, subscriber_id = v.subscriber_id,"
            f" child_id = v.child_id FROM v WHERE {table}.id = v.row_id",
            [*[value for triple in triples for value in triple], ImportRow.Outcome.IMPORTED.value],
        )
