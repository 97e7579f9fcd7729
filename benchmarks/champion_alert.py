"""Precision and recall of the champion-gone-quiet alert against the demo's planted quiet champions: every account
every two weeks over the last two years; planted = a lost account within 20 weeks of its loss (the champion's
silence begins 30 weeks before it). Usage: python benchmarks/champion_alert.py STORE DATA/truth_account_reviews.parquet"""
import datetime as dt
import sys

import pyarrow.parquet as pq

from patron.areas.accounts import service as s
from patron.store import Store

store = Store(sys.argv[1]); truth = pq.read_table(sys.argv[2]).to_pylist()
party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'crm'"))
end = s._as_of(store, None)
tp = fp = fn = 0
for t in truth:
    org, champ, lost = party_of[t["account_key"]], party_of[t["champion_key"]], t["lost_at"]
    for k in range(0, 104, 2):
        at = end - dt.timedelta(weeks=k)
        if lost is not None and at >= lost:
            continue
        fired = any(a["kind"] == "champion_quiet" and a["party_id"] == champ
                    for a in s.account_view(store, s.OPERATOR, org, as_of=at)["alerts"])
        planted = lost is not None and lost - dt.timedelta(weeks=20) <= at
        tp += fired and planted; fp += fired and not planted; fn += planted and not fired
print(f"alerts {tp+fp}: precision {tp/max(tp+fp,1):.2f}, recall {tp/max(tp+fn,1):.2f} (tp {tp}, fp {fp}, fn {fn})")
