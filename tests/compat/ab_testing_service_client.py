"""An ab-testing-service client, written as that service's clients call it (its README's
`requests` examples and the steps of its load script: health, HTTP Basic sign-in, create
with "status": "active", assignments, impressions and conversions, the stats its scripts
read as compact JSON, the admin SPA's list/patch/status/delete), pointed at Cleave with
only the base URL and the password changed.

Environment: CLEAVE_BASE (e.g. http://127.0.0.1:8787), CLEAVE_PASSWORD (ADMIN_TOKEN).
Prints "ab-testing-service client: ok" at the end; any failed check raises.
"""

import json
import os

import requests

BASE = os.environ["CLEAVE_BASE"]
API = f"{BASE}/api"
admin = requests.Session()
admin.auth = ("admin", os.environ["CLEAVE_PASSWORD"])  # its SPA signs in with Basic
USERS = 300


def expect(response, status):
    assert response.status_code == status, (
        f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    )
    return response.json() if response.content else None


# Step 1 of its load script: the health check.
health = expect(requests.get(f"{API}/health"), 200)
assert health["status"] == "healthy", health

# Step 2: create (its README's body) and start in one call.
experiment = {
    "name": "homepage_banner",
    "description": "Testing different homepage banner designs",
    "variants": [
        {"name": "control", "description": "Current banner", "weight": 1, "is_control": True},
        {"name": "variant_a", "description": "New design A", "weight": 1, "is_control": False},
        {"name": "variant_b", "description": "New design B", "weight": 2, "is_control": False},
    ],
    "status": "active",
    "base_rate": 0.15,
    "min_detectable_effect": 0.03,
    "min_sample_size_per_group": 2000,
    "confidence_level": 0.95,
    "additional_features": {"banner_color": "blue"},
}
created = expect(admin.post(f"{API}/experiments", json=experiment), 201)
assert created["status"] == "active", created
assert created["min_detectable_effect"] == 0.03 and created["confidence_level"] == 0.95, created
assert [v["weight"] for v in created["variants"]] == [1, 1, 2], created
listed = expect(admin.get(f"{API}/experiments", params={"status": "active"}), 200)
assert [e["name"] for e in listed] == ["homepage_banner"], listed

# Its README: get a variant, track an impression, track a conversion.
variants = {}
for i in range(USERS):
    subid = f"user{i}"
    a = expect(
        requests.post(
            f"{API}/assignments/get", json={"subid": subid, "experiment_id": "homepage_banner"}
        ),
        200,
    )
    assert a["subid"] == subid and a["experiment_id"] == "homepage_banner", a
    variants[subid] = a["variant"]
    expect(
        requests.post(
            f"{API}/events/impression",
            params={"subid": subid, "experiment_id": "homepage_banner"},
        ),
        202,
    )
    if i % 3 == 0:
        c = expect(
            requests.post(
                f"{API}/events/conversion",
                params={"subid": subid, "experiment_id": "homepage_banner"},
            ),
            202,
        )
        assert c["variant"] == a["variant"] and c["event_type"] == "conversion", c

# The same unit keeps its variant and first assignment time.
again = expect(
    requests.post(
        f"{API}/assignments/get", json={"subid": "user1", "experiment_id": "homepage_banner"}
    ),
    200,
)
assert again["variant"] == variants["user1"], again

# A custom event with its variant and metadata; the event listing returns it.
event = {
    "experiment_id": "homepage_banner",
    "subid": "user1",
    "event_type": "click",
    "variant": variants["user1"],
    "metadata": {"button": "cta"},
}
expect(requests.post(f"{API}/events", json=event), 202)
clicks = expect(
    admin.get(f"{API}/events", params={"experiment_id": "homepage_banner", "event_type": "click"}),
    200,
)
assert len(clicks) == 1 and clicks[0]["metadata"] == {"button": "cta"}, clicks
conversions = expect(
    admin.get(
        f"{API}/events",
        params={"experiment_id": "homepage_banner", "event_type": "conversion", "limit": 1000},
    ),
    200,
)
assert len(conversions) == USERS // 3, len(conversions)

# Its stats, read as its scripts read them: the compact JSON text.
stats_text = admin.get(f"{API}/experiments/homepage_banner/stats").text
stats = json.loads(stats_text)
for name in ["control", "variant_a", "variant_b"]:
    assigned = sum(1 for v in variants.values() if v == name)
    converted = sum(1 for i in range(0, USERS, 3) if variants[f"user{i}"] == name)
    counts = stats["variants"][name]
    assert counts == {"impression": assigned, "conversion": converted, "assignments": assigned}, (
        name,
        counts,
    )
    head = f'"{name}":{{"conversions":{converted},"impressions":{assigned},"rate":'
    assert head in stats_text, (head, stats_text[:400])
assert set(stats["analysis"]["comparisons"]) == {"variant_a", "variant_b"}, stats

# Bulk and per-user lookups.
other = {**experiment, "name": "checkout_flow", "status": "active", "variants": experiment["variants"][:2]}
expect(admin.post(f"{API}/experiments", json=other), 201)
bulk = expect(
    requests.post(
        f"{API}/assignments/bulk",
        json={"subid": "user1", "experiment_ids": ["homepage_banner", "checkout_flow"]},
    ),
    200,
)
assert bulk["homepage_banner"]["variant"] == variants["user1"], bulk
mine = expect(admin.get(f"{API}/assignments/user/user1"), 200)
assert {a["experiment_id"] for a in mine} == {"homepage_banner", "checkout_flow"}, mine
one = expect(requests.get(f"{API}/assignments/user1/homepage_banner"), 200)
assert one["variant"] == variants["user1"], one

# The admin SPA: edit, pause, complete, delete; its errors carry "detail".
patched = expect(
    admin.patch(f"{API}/experiments/homepage_banner", json={"description": "Banners, round 2"}),
    200,
)
assert patched["description"] == "Banners, round 2", patched
paused = expect(admin.post(f"{API}/experiments/homepage_banner/status", json={"status": "paused"}), 200)
assert paused["status"] == "paused", paused
refused = expect(admin.delete(f"{API}/experiments/homepage_banner"), 409)
assert "detail" in refused, refused
done = expect(admin.post(f"{API}/experiments/homepage_banner/status", json={"status": "completed"}), 200)
assert done["status"] == "completed", done
expect(admin.delete(f"{API}/experiments/homepage_banner"), 204)
missing = expect(admin.get(f"{API}/experiments/homepage_banner"), 404)
assert "homepage_banner" in missing["detail"], missing
wrong = expect(requests.get(f"{API}/experiments", auth=("admin", "wrong")), 403)
assert "detail" in wrong, wrong

print("ab-testing-service client: ok")
