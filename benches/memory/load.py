"""Load for benches/memory/run.sh: ERP ingest in batches of 500, then 64 readers.

ingest: RECORDS records of four kinds; one in ten matches a shipped scenario
(out-of-stock orders, purchase orders above 5000, stock below safety, stale
shipments), so 1,000,000 records make about 100,000 tasks.
reads: 64 threads for 10 s over the admin's task lists, my todo, one task, the
record browser and /healthz.
"""
import json
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, RECORDS, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method)
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        raw = r.read()
        return json.loads(raw) if raw[:1] in (b"{", b"[") else raw


admin = call("POST", "/api/login", {"username": "admin", "password": "bench-admin-password"})["token"]


def record(i):
    hot = i % 10 == 0
    ago = "2026-01-01T00:00:00Z"
    k = i % 4
    if k == 0:
        return {"kind": "order", "id": f"SO-{i}", "data": {"status": "out_of_stock" if hot else "shipped", "sku": "MUG", "qty": 2, "out_of_stock_since": ago, "paid_at": ago, "shipped_at": ago}}
    if k == 1:
        return {"kind": "purchase_order", "id": f"PO-{i}", "data": {"status": "open", "amount": "7800.00" if hot else f"{100 + i % 4000}.{i % 100:02d}", "supplier": "Yiwu"}}
    if k == 2:
        return {"kind": "stock", "id": f"SKU-{i}", "data": {"available": 3 if hot else 200, "safety_stock": 20, "warehouse": "SZ"}}
    return {"kind": "shipment", "id": f"YT-{i}", "data": {"status": "in_transit" if hot else "delivered", "carrier": "Yun", "tracking_updated_at": ago}}


if MODE == "ingest":
    token = call("POST", "/api/tokens", {"name": "bench", "scopes": ["erp:write"]}, admin)["token"]
    t0 = time.time()
    tasks = 0
    lock = threading.Lock()

    def push(start):
        global tasks
        batch = [record(i) for i in range(start, min(start + 500, RECORDS))]
        r = call("POST", "/api/erp/records", {"records": batch}, token)
        with lock:
            tasks += r["scenarios"]["tasks_created"]

    with ThreadPoolExecutor(2) as ex:
        list(ex.map(push, range(0, RECORDS, 500)))
    s = time.time() - t0
    print(f"ingest: {RECORDS} records in {s:.0f} s ({RECORDS / s:.0f}/s), {tasks} tasks created")
else:
    erp = [p for p in call("GET", "/api/projects", token=admin)["items"] if p.get("builtin") == "erp"][0]["id"]
    paths = [f"/api/projects/{erp}/tasks", "/api/my/todo", "/api/erp/records?kind=order", "/healthz", "/api/inbox"]
    first = call("GET", f"/api/projects/{erp}/tasks", token=admin)
    if first.get("items"):
        paths.append(f"/api/tasks/{first['items'][0]['id']}")
    stop = time.time() + 10
    done = [0]

    def reader(n):
        i = n
        while time.time() < stop:
            call("GET", paths[i % len(paths)], token=admin)
            i += 1
            done[0] += 1

    with ThreadPoolExecutor(64) as ex:
        list(ex.map(reader, range(64)))
    print(f"reads: {done[0]} requests in 10 s at 64 connections")
