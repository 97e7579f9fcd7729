"""Importing files: counts, idempotence, quarantine, typing, presets."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from patron.errors import ImportRejected, PatronError
from patron.ingest import Mapping, import_file

UCI = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536380,22,"Bad, row",x,12/13/2010 9:41,1.5,14527,United Kingdom
536381,22,no customer,1,12/13/2010 9:41,1.5,,United Kingdom
536382,22,short row
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
"""


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_online_retail_preset(store, tmp_path):
    r = import_file(store, write(tmp_path, "retail.csv", UCI), preset="online-retail")
    assert (r.rows_read, r.accepted, r.rejected, r.already_present, r.new_parties) == (7, 4, 3, 0, 2)
    rows = store.query("SELECT kind, revenue, occurred_at::VARCHAR, currency FROM transactions ORDER BY transaction_id")
    assert rows[0] == ("order", Decimal("15.3000"), "2010-12-01 08:26:00", "GBP")
    assert rows[2][:2] == ("refund", Decimal("-27.5000"))  # C-invoice: a cancellation
    # The same customer written as 17850.0 and 17850 is one party.
    assert store.scalar("SELECT count(DISTINCT party_id) FROM transactions") == 2
    quarantined = dict(store.query("SELECT line, reason FROM quarantine"))
    assert quarantined[5].startswith("'x' in column 'Quantity' is not a number")
    assert quarantined[6] == "missing customer_key (column 'CustomerID')"
    assert quarantined[7] == "too few values: expected 8 columns (3 found)"


def test_identical_lines_are_distinct_facts_but_reimport_adds_nothing(store, tmp_path):
    path = write(tmp_path, "retail.csv", UCI)
    import_file(store, path, preset="online-retail")
    before = store.counts()
    again = import_file(store, path, preset="online-retail")
    assert (again.accepted, again.already_present, again.rejected) == (0, 4, 3)
    after = store.counts()
    assert {k: v for k, v in after.items() if k != "imports"} == {k: v for k, v in before.items() if k != "imports"}
    assert after["imports"] == before["imports"] + 1  # the attempt itself is logged
    assert store.scalar("SELECT count(*) FROM transactions WHERE description = 'WHITE METAL LANTERN'") == 2
    assert store.integrity_problems() == []


def test_overlapping_export_adds_only_new_lines(store, tmp_path):
    lines = UCI.splitlines()
    first = write(tmp_path, "a.csv", "\n".join(lines[:4]) + "\n")
    second = write(tmp_path, "b.csv", "\n".join([lines[0], *lines[2:5]]) + "\n")
    import_file(store, first, preset="online-retail")
    r = import_file(store, second, preset="online-retail")
    assert (r.accepted, r.already_present, r.rejected) == (0, 2, 1)


def test_decimal_comma_semicolon_and_day_first_dates(store, tmp_path):
    text = "Kundennr;Datum;Betrag\nK1;31/01/2024 10:00;1.234,50\nK2;01/02/2024 09:30;12,5\nK1;02/02/2024 09:30;(3,00)\n"
    r = import_file(store, write(tmp_path, "de.csv", text), "transactions",
                    mapping=Mapping("transactions", columns={"customer_key": "Kundennr", "occurred_at": "Datum",
                                                             "revenue": "Betrag"}))
    assert r.accepted == 3
    got = store.query("SELECT revenue, occurred_at::VARCHAR, kind FROM transactions ORDER BY transaction_id")
    assert got == [(Decimal("1234.5000"), "2024-01-31 10:00:00", "order"),
                   (Decimal("12.5000"), "2024-02-01 09:30:00", "order"),
                   (Decimal("-3.0000"), "2024-02-02 09:30:00", "refund")]


def test_mixed_decimal_separators_are_refused_and_nothing_stored(store, tmp_path):
    text = "customer_id,date,amount\nA,2024-01-01,1.50\nB,2024-01-02,\"2,75\"\n"
    with pytest.raises(ImportRejected, match="both a decimal comma"):
        import_file(store, write(tmp_path, "mixed.csv", text), "transactions")
    assert store.count("transactions") == 0 and store.count("imports") == 0


def test_time_zones_are_converted_to_utc(store, tmp_path):
    text = ("customer_id,date,amount\n"
            "A,2024-06-01T12:00:00+02:00,1\n"      # offset: converted
            "A,2024-06-01 12:00,2\n"               # no offset: read in the mapping's zone (Berlin, CEST)
            "A,2024-01-15 12:00:00Z,3\n")
    m = Mapping("transactions", options={"timezone": "Europe/Berlin"})
    import_file(store, write(tmp_path, "tz.csv", text), mapping=m)
    got = [r[0] for r in store.query("SELECT occurred_at::VARCHAR FROM transactions ORDER BY revenue")]
    assert got == ["2024-06-01 10:00:00", "2024-06-01 10:00:00", "2024-01-15 12:00:00"]


def test_ambiguous_day_month_is_refused(store, tmp_path):
    text = "customer_id,date,amount\nA,03/04/2024,1\nB,05/06/2024,2\n"
    with pytest.raises(ImportRejected, match="day-first or month-first"):
        import_file(store, write(tmp_path, "amb.csv", text), "transactions")


def test_unknown_mapped_column_names_the_file_columns(store, tmp_path):
    path = write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(PatronError, match="does not have.*'a', 'b'"):
        import_file(store, path, mapping=Mapping("transactions", columns={"customer_key": "Customer"}))


def test_missing_required_column_is_named(store, tmp_path):
    path = write(tmp_path, "x.csv", "customer_id,amount\n1,2\n")
    with pytest.raises(ImportRejected, match="no column for occurred_at"):
        import_file(store, path, "transactions")


@pytest.mark.parametrize("content,match", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00", "not a text file"),
])
def test_unreadable_files(store, tmp_path, content, match):
    with pytest.raises(ImportRejected, match=match):
        import_file(store, write(tmp_path, "bad.csv", content), "transactions")
    assert store.count("imports") == 0


def test_bad_encoding_row_is_quarantined(store, tmp_path):
    data = b"customer_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,\xff\xfe\nC,2024-01-03,3\n"
    r = import_file(store, write(tmp_path, "enc.csv", data), "transactions")
    assert (r.accepted, r.rejected) == (2, 1)
    line, reason = store.query("SELECT line, reason FROM quarantine")[0]
    assert line == 3 and "encoding" in reason


def test_multiline_quoted_field_keeps_physical_line_numbers(store, tmp_path):
    text = 'customer_id,date,amount,description\nA,2024-01-01,1,"two\nlines"\nB,not a date,2,x\n'
    import_file(store, write(tmp_path, "ml.csv", text), "transactions")
    assert store.query("SELECT line FROM quarantine") == [(4,)]


def test_jsonl_with_bad_lines(store, tmp_path):
    lines = [json.dumps({"customer_id": "A", "timestamp": "2024-01-01T10:00:00Z", "channel": "telephone",
                         "department": "customer service", "id": "c1"}),
             "{not json",
             json.dumps({"customer_id": "B", "timestamp": "2024-01-02", "channel": "carrier pigeon", "id": "c2"}),
             json.dumps({"customer_id": "A", "timestamp": "2024-01-03", "channel": "e-mail", "id": "c3"})]
    r = import_file(store, write(tmp_path, "calls.jsonl", "\n".join(lines) + "\n"), "interactions", source="cc",
                    create_parties=True)
    assert (r.accepted, r.rejected) == (2, 2)
    assert store.query("SELECT channel, department FROM interactions ORDER BY occurred_at") == [
        ("phone", "service"), ("email", None)]
    reasons = dict(store.query("SELECT line, reason FROM quarantine"))
    assert reasons[2] == "not a JSON object"
    assert "'carrier pigeon' in column 'channel' is not one of" in reasons[3]


def test_parquet_with_native_types(store, tmp_path):
    table = pa.table({"customer_id": ["A", "B", None], "order_date": pa.array(
        [1704067200000000, 1704153600000000, 1704240000000000], pa.timestamp("us")),
        "amount": [10.5, 20.0, 1.0], "order_id": ["o1", "o2", "o3"]})
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    r = import_file(store, path, "transactions")
    assert (r.accepted, r.rejected) == (2, 1)
    assert store.query("SELECT line FROM quarantine") == [(3,)]
    # order_id was recognised as the document; amount as revenue
    assert store.query("SELECT document, revenue FROM transactions ORDER BY 1") == [
        ("o1", Decimal("10.5000")), ("o2", Decimal("20.0000"))]


def test_explicit_external_id_duplicates_in_file_are_rejected(store, tmp_path):
    text = "id,customer_id,date,amount\n1,A,2024-01-01,1\n1,A,2024-01-01,1\n2,B,2024-01-02,2\n"
    r = import_file(store, write(tmp_path, "ids.csv", text), "transactions")
    assert (r.accepted, r.rejected) == (2, 1)
    assert "appears more than once" in store.scalar("SELECT reason FROM quarantine")


def test_parties_import_updates_and_links(store, tmp_path):
    first = ("customer_id,name,email,type,organisation_id,referred_by,signup_date\n"
             "C1,Ann,ann@x.org,person,O1,,2023-01-01\n"
             "C2,Bob,bob@x.org,person,,C1,2023-02-01\n"
             "O1,Acme Ltd,,organisation,,,2022-05-01\n"
             "C2,Bob again,bob2@x.org,person,,,2023-02-01\n")
    r = import_file(store, write(tmp_path, "p.csv", first), "parties", source="crm")
    assert (r.accepted, r.rejected, r.new_parties) == (3, 1, 3)
    ann, acme, bob = (store.query(
        "SELECT p.party_id, p.name, p.kind, p.organisation_id, p.referred_by, p.email FROM parties p "
        "JOIN identities i USING (party_id) WHERE source_key = ?", [k])[0] for k in ("C1", "O1", "C2"))
    assert ann[3] == acme[0] and acme[2] == "organisation"
    assert bob[4] == ann[0] and bob[5] == "bob@x.org"
    changed = "customer_id,name,email\nC1,Ann,ann@new.org\nC2,Bob,bob@x.org\n"
    r2 = import_file(store, write(tmp_path, "p2.csv", changed), "parties", source="crm")
    assert (r2.accepted, r2.already_present, r2.updated, r2.new_parties) == (1, 1, 1, 0)
    assert store.scalar("SELECT email FROM parties WHERE party_id = ?", [ann[0]]) == "ann@new.org"


def test_key_source_links_to_another_systems_customers(store, tmp_path):
    import_file(store, write(tmp_path, "o.csv", "customer_id,date,amount\nK1,2024-01-01,5\n"), "transactions",
                source="shop")
    calls = "customer_id,date,channel\nK1,2024-01-05,phone\nK9,2024-01-06,phone\n"
    r = import_file(store, write(tmp_path, "c.csv", calls), mapping=Mapping(
        "interactions", source="callcentre", options={"key_source": "shop"}))
    # K9 is not a customer of the shop: a call does not invent one, it is quarantined with the reason.
    assert (r.accepted, r.rejected, r.new_parties) == (1, 1, 0)
    assert "'K9' in column 'customer_id' is not a known customer of shop" in store.scalar(
        "SELECT reason FROM quarantine")
    assert store.scalar("SELECT count(DISTINCT party_id) FROM parties") == 1
    shop_party = store.scalar("SELECT party_id FROM identities WHERE source = 'shop' AND source_key = 'K1'")
    assert store.scalar("SELECT party_id FROM interactions ORDER BY occurred_at LIMIT 1") == shop_party


def test_complaint_rules(store, tmp_path):
    text = ("ticket_id,customer_id,opened,first_response,resolved,severity,category\n"
            "T1,A,2024-01-01 10:00,2024-01-01 11:00,2024-01-02 10:00,urgent,delivery\n"
            "T2,A,2024-01-05 10:00,2024-01-04 11:00,,minor,billing\n"
            "T3,B,2024-01-06 10:00,,,,billing\n")
    r = import_file(store, write(tmp_path, "complaints.csv", text), "complaints", source="desk",
                    create_parties=True)
    assert (r.accepted, r.rejected) == (2, 1)
    assert store.query("SELECT external_id, severity, status FROM complaints ORDER BY 1") == [
        ("T1", "critical", "resolved"), ("T3", "medium", "open")]
    assert "first response is before" in store.scalar("SELECT reason FROM quarantine")


def test_cdnow_preset(store, tmp_path):
    text = "00001 19970101 1 11.77\n00002 19970112  1 12.00\n  00002   19970112 5 77.00\nbroken line\n"
    r = import_file(store, write(tmp_path, "cdnow.txt", text), preset="cdnow")
    assert (r.accepted, r.rejected, r.new_parties) == (3, 1, 2)
    assert store.query("SELECT line, reason FROM quarantine") == [
        (4, "expected 4 values separated by spaces, found 2")]
    assert store.scalar("SELECT sum(revenue) FROM transactions") == Decimal("100.7700")


def test_shopify_preset_fills_order_fields_from_first_line(store, tmp_path):
    text = ("Name,Email,Financial Status,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
            "Lineitem sku,Billing Country\n"
            "#1001,ann@x.org,paid,EUR,2024-03-01 10:00:00 +0100,2,Mug,8.50,MUG-1,DE\n"
            "#1001,,,,,1,Tea,4.00,TEA-1,\n"
            "#1002,bob@x.org,paid,EUR,2024-03-02 11:00:00 +0100,1,Mug,8.50,MUG-1,FR\n")
    r = import_file(store, write(tmp_path, "orders_export.csv", text), preset="shopify-orders")
    assert (r.accepted, r.rejected, r.new_parties) == (3, 0, 2)
    got = store.query("SELECT document, occurred_at::VARCHAR, revenue, currency, country FROM transactions "
                      "ORDER BY transaction_id")
    assert got[1] == ("#1001", "2024-03-01 09:00:00", Decimal("4.0000"), "EUR", "DE")


@pytest.mark.parametrize("amount,stored", [
    ("EUR 12,50", Decimal("12.5")), ("12,50 eur", Decimal("12.5")), ("€ 1.234,50", Decimal("1234.5")),
    ("1 234,50", Decimal("1234.5")), ("(3,00)", Decimal("-3")), ("1O,00", None), ("12,5O", None),
    ("1,5 kg", None), ("see invoice", None),
])
def test_amounts_keep_only_currency_marks(store, tmp_path, amount, stored):
    """Currency codes and signs are dropped; any other letter makes the amount invalid, never silently 'fixed'."""
    text = f'customer_id;date;amount\nA;2024-01-01;"{amount}"\nB;2024-01-02;"0,75"\n'
    import_file(store, write(tmp_path, "a.csv", text), "transactions")
    got = store.query("SELECT revenue FROM transactions t JOIN identities i USING (party_id) "
                      "WHERE i.source_key = 'A'")
    if stored is None:
        assert got == [] and "is not an amount" in store.scalar("SELECT reason FROM quarantine")
    else:
        assert got == [(stored,)]


def test_a_bare_date_is_not_shifted_by_the_time_zone(store, tmp_path):
    text = "customer_id,date,amount\nA,2024-03-01,1\nA,2024-03-01 00:30,2\n"
    import_file(store, write(tmp_path, "d.csv", text), mapping=Mapping("transactions",
                                                                       options={"timezone": "Europe/Berlin"}))
    assert [r[0] for r in store.query("SELECT occurred_at::VARCHAR FROM transactions ORDER BY revenue")] == [
        "2024-03-01 00:00:00", "2024-02-29 23:30:00"]


def test_stored_text_with_control_characters_survives_a_reimport(store, tmp_path):
    """Carriage returns, quotes and backslashes in keys and quarantined text: the second import adds nothing."""
    p = tmp_path / "odd.csv"
    p.write_bytes(b'customer_id,date,amount\n"K\r1",2024-01-01,5\n"K\\\\.""2",not a date,"\r"\n"K3",2024-01-02,x\\.\n')
    first = import_file(store, p, "transactions", source="odd")
    assert (first.accepted, first.rejected) == (1, 2)
    again = import_file(store, p, "transactions", source="odd")
    assert (again.accepted, again.already_present) == (0, 1)
    assert store.count("quarantine") == 2
    assert store.scalar("SELECT source_key FROM identities WHERE source = 'odd'") == "K\r1"
