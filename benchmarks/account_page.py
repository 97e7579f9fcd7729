"""The account page's service work (what pages.account_page calls: account_view, ego network, Wilson review trend,
strength history) for every account of a demo store, in ms. Usage: python benchmarks/account_page.py STORE
(a store made by `patron demo --customers 5000 --seed 4 --store STORE`)."""
import statistics
import sys
import time

from patron.areas.accounts import service as s
from patron.store import Store

store = Store(sys.argv[1])
u = s.OPERATOR
ids = [r[0] for r in store.query("SELECT DISTINCT other_party_id FROM party_links WHERE link_type='buying_role'")]
times = []
for org in sorted(ids):
    t = time.perf_counter()
    v = s.account_view(store, u, org)
    s.ego_network_svg(store, u, org); s.review_trend(store, u, org, "wilson")
    h = s.strength_history(store, u, org, as_of=v["as_of"])
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"{len(times)} accounts: page p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95*len(times))-1]:.0f} ms, total {sum(times)/1000:.1f} s")
