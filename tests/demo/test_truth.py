"""The ground truth agrees with the exports, and the planted defects and links are there."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from patron.demo import generate_demo
from patron.demo.company import DEFECTS
from patron.demo.company import EXPORTS

from .conftest import read_text_csv


def _person_of_key(identities: pd.DataFrame) -> dict[str, int]:
    shop = identities[(identities.entity == "customer") & (identities.source == "webshop")]
    return dict(zip(shop.key, shop.entity_id))


def test_every_file_and_mapping_is_written(demo, truth):
    for f in EXPORTS:
        assert (demo.out / f.name).stat().st_size > 0
        assert (demo.out / f.mapping_name).read_text().startswith("#")
    assert {f["name"] for f in truth["files"]} == {f.name for f in EXPORTS}
    assert truth["parameters"]["bg_nbd"] == {"r": 0.55, "alpha": 10.0, "a": 0.8, "b": 3.0}


def test_order_lines_per_customer_match_the_truth(demo, truth, truth_customers, identities):
    lines = read_text_csv(demo.out / "webshop_order_lines.csv", ";")
    # Undo the planted missing keys, so every line counts for its customer.
    for d in truth["defects"]:
        if d["file"] == "webshop_order_lines.csv" and d["defect"] == "missing_customer_key":
            assert pd.isna(lines.at[d["row"], "Customer No"])
            lines.at[d["row"], "Customer No"] = d["original"]
    person = lines["Customer No"].map(_person_of_key(identities))
    assert person.notna().all()
    by_type = pd.crosstab(person.astype(int), lines["Type"]).reindex(truth_customers.person_id, fill_value=0)
    assert (by_type["order"].to_numpy() == truth_customers.order_lines.to_numpy()).all()
    assert (by_type.get("refund", 0).to_numpy() == truth_customers.refund_lines.to_numpy()).all()
    orders = lines[lines.Type == "order"].groupby(person[lines.Type == "order"].astype(int))["Order No"].nunique()
    assert (orders.reindex(truth_customers.person_id, fill_value=0).to_numpy()
            == truth_customers.orders.to_numpy()).all()


def test_planted_defects_are_in_the_files_and_recorded(demo, truth):
    defects = pd.DataFrame(truth["defects"])
    assert len(defects) == truth["facts"]["defects_planted"] > 0
    for name, planted in DEFECTS.items():
        here = defects[defects.file == name]
        assert set(here.defect) == {d.defect for d in planted}, name
    for name, group in defects.groupby("file"):
        path = demo.out / name
        if name.endswith(".csv"):
            delimiter = ";" if name.startswith("webshop") else ","
            table = read_text_csv(path, delimiter)
            raw_lines = path.read_text(encoding="utf-8").splitlines()
        elif name.endswith(".jsonl"):
            raw_lines = path.read_text(encoding="utf-8").splitlines()
            table = pd.DataFrame([json.loads(line) for line in raw_lines])
        else:
            table = pq.read_table(path).to_pandas()
            raw_lines = None
        for d in group.itertuples():
            value = table.at[d.row, d.column]
            if not isinstance(d.value, str):  # None (pandas shows it as NaN)
                assert value is None or pd.isna(value), (name, d.row)
            else:
                assert value == d.value, (name, d.row)
                if raw_lines is not None:
                    assert d.value in raw_lines[d.line - 1]


def test_duplicates_are_second_registrations_with_typos(demo, truth_customers, identities):
    customers = read_text_csv(demo.out / "webshop_customers.csv", ";").set_index("Customer No", drop=False)
    dups = truth_customers[truth_customers.duplicate_no.notna()]
    assert len(dups) == demo.facts["duplicates_planted"] > 0
    shop = identities[(identities.entity == "customer") & (identities.source == "webshop")]
    assert shop.groupby("entity_id").size().max() == 2
    assert (shop.groupby("entity_id").size() == 2).sum() == len(dups)
    present = dups[dups.customer_no.isin(customers.index) & dups.duplicate_no.isin(customers.index)]
    first = customers.loc[present.customer_no]
    second = customers.loc[present.duplicate_no]
    name_typo = present.duplicate_typo.isin(["name", "name_and_email"]).to_numpy()
    email_typo = present.duplicate_typo.isin(["email", "name_and_email"]).to_numpy()
    assert ((first.Name.to_numpy() != second.Name.to_numpy()) == name_typo).all()
    assert ((first["E-mail"].to_numpy() != second["E-mail"].to_numpy()) == email_typo).all()
    # The second key is a later registration, and some orders are placed under it.
    assert (present.duplicate_no.astype(int) > present.customer_no.astype(int)).all()
    lines = read_text_csv(demo.out / "webshop_order_lines.csv", ";")
    assert lines["Customer No"].isin(set(dups.duplicate_no)).sum() > 0
    # Business accounts are known to the ERP and the CRM under different keys.
    orgs = identities[identities.entity == "organisation"]
    assert (orgs.groupby("entity_id").source.nunique() == 2).all()


def test_referrals_are_earlier_customers_and_cheaper(truth_customers):
    tc = truth_customers
    referred = tc[tc.referred_by_person.notna()]
    assert len(referred) > 0 and (referred.channel == "referral").all()
    referrer = tc.set_index("person_id").loc[referred.referred_by_person.astype(int)]
    assert (referrer.acquired_at.to_numpy() <= referred.acquired_at.to_numpy()).all()
    # The referrer had not yet dropped out when the referral came.
    assert (referrer.dropout_weeks.to_numpy() > 0).all()
    cost = tc.groupby("channel").acquisition_cost.mean()
    assert cost["referral"] < cost["paid_search"] / 2


def test_who_leaves_has_a_worse_service_record(truth, truth_customers):
    tc = truth_customers
    churned = ~tc.alive_at_end
    link = truth["churn_link"]
    share = tc.complained_about_final_order[churned].mean()
    assert abs(share - link["complaint_prob_final_order"]) < 0.1
    assert not tc.complained_about_final_order[~churned].any()
    per_order = tc.complaints[~churned].sum() / tc.orders[~churned].sum()
    assert per_order < 0.05
    answered = tc.nps_answers > 0
    assert tc.nps_mean[answered & churned].mean() < tc.nps_mean[answered & ~churned].mean() - 1
    assert tc.email_consent_withdrawn[churned].mean() > 3 * tc.email_consent_withdrawn[~churned].mean()


def test_truth_customers_are_consistent(truth_customers, truth):
    tc = truth_customers
    assert tc.person_id.is_unique and tc.customer_no.is_unique
    assert ((tc.orders == 1 + tc.x)).all()
    assert (tc.alive_at_end == (tc.dropout_weeks > truth["period"]["weeks"])).all()
    assert (tc.dropout_at.isna() | (tc.dropout_at.dt.tz_convert(None) > tc.acquired_at.dt.tz_convert(None))).all()
    assert np.isclose(tc.true_mean_spend, truth["parameters"]["gamma_gamma"]["p"] / tc.nu).all()
    assert abs(tc.order_value.sum() - tc.net_revenue.sum()) / tc.order_value.sum() < 0.1  # refunds


def test_sizes_scale(tmp_path, demo):
    small = generate_demo(tmp_path / "small", 200, seed=3)
    rows_small = {f.name: n for f, _, n in small.files}
    rows_big = {f.name: n for f, _, n in demo.files}
    factor = demo.customers / small.customers
    for name in ("webshop_customers.csv", "webshop_order_lines.csv", "survey_consents.jsonl"):
        assert 0.6 * factor < rows_big[name] / rows_small[name] < 1.6 * factor, name
    assert small.facts["business_accounts"] == 5


def test_chunks_join_up(tmp_path, monkeypatch):
    """Large companies are simulated in chunks of customers: ids stay unique and counts add up."""
    from patron.demo import company

    monkeypatch.setattr(company, "CHUNK", 400)
    result = generate_demo(tmp_path, 1000, seed=4)
    tc = pq.read_table(tmp_path / "truth_customers.parquet").to_pandas()
    lines = read_text_csv(tmp_path / "webshop_order_lines.csv", ";")
    assert lines["Line ID"].is_unique
    assert len(lines) == tc.order_lines.sum() + tc.refund_lines.sum()
    assert lines[lines.Type == "order"]["Order No"].nunique() == tc.orders.sum()
    for name, id_col in (("callcentre_contacts.csv", "contact_id"), ("callcentre_complaints.csv", "ticket_id")):
        assert read_text_csv(tmp_path / name)[id_col].is_unique, name
    for name, id_col in (("survey_responses.jsonl", "response_id"), ("survey_consents.jsonl", "event_id")):
        ids = pd.read_json(tmp_path / name, lines=True)[id_col]
        assert ids.is_unique, name
    customers = read_text_csv(tmp_path / "webshop_customers.csv", ";")
    assert customers["Customer No"].dropna().is_unique
    assert result.facts["customers"] == 1000


def test_readable_typos_are_recorded(demo, truth):
    typos = pd.DataFrame(truth["typos"])
    assert len(typos) > 0
    customers = read_text_csv(demo.out / "webshop_customers.csv", ";").dropna(subset=["Customer No"])
    city = customers.set_index("Customer No").City
    present = typos[typos.customer_no.isin(city.index)]
    assert (city.loc[present.customer_no].to_numpy() == present.written.to_numpy()).all()
    assert (present.written != present.original).all()


def test_servqual_gaps_in_the_answers(demo, truth):
    answers = pd.read_json(demo.out / "survey_responses.jsonl", lines=True)
    sq = answers[answers.survey == "servqual"]
    gaps = (sq.perceived - sq.expected).groupby(sq.dimension).mean()
    observed = truth["servqual_gaps_observed"]
    for dim, gap in gaps.items():
        assert abs(gap - observed[dim]) < 0.05, dim  # only the spoiled rows differ
    latent = truth["servqual_gaps"]
    assert sorted(latent, key=latent.get) == sorted(observed, key=observed.get)  # same ranking of dimensions


def test_lost_accounts_are_in_the_truth(demo):
    accounts = pq.read_table(demo.out / "truth_accounts.parquet").to_pandas()
    assert len(accounts) == demo.facts["business_accounts"]
    assert accounts.invoices.sum() == next(n for f, _, n in demo.files if f.name == "erp_invoices.parquet")
    lost = accounts[accounts.lost_at.notna()]
    assert (lost.lost_at > lost.opened_at).all()


def test_planted_product_associations_show_in_baskets(demo, truth):
    lines = read_text_csv(demo.out / "webshop_order_lines.csv", ";")
    lines = lines[lines.Type == "order"]
    baskets = pd.crosstab(lines["Order No"], lines["SKU"]).clip(upper=1).astype(bool)
    lifts = []
    for rule in truth["association_rules"]:
        a, b = rule["antecedent"], rule["consequent"]
        if a in baskets and b in baskets and baskets[a].sum() >= 30:
            lifts.append(baskets.loc[baskets[a], b].mean() / baskets[b].mean())
    assert len(lifts) >= 10
    assert np.median(lifts) > 2.0
