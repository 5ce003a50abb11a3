//! Concurrent starts of experiments whose layer ranges overlap, against a real
//! `wrangler dev`: whatever the interleaving, at most one of them runs, and the other is
//! told which experiment holds the range (409 `layer_overlap`), so no unit can be in two
//! experiments of one layer.

use cleave_e2e::Api;
use serde_json::json;
use std::sync::Barrier;

#[test]
fn concurrent_starts_of_overlapping_ranges_never_both_run() {
    let api = Api::start("layer-race");
    for round in 0..12 {
        let layer = format!("race-{round}");
        let ids: Vec<String> = [(0.0, 0.6), (0.4, 1.0)]
            .iter()
            .enumerate()
            .map(|(k, (start, end))| {
                let (status, e) = api.admin(
                    "POST",
                    "/api/v1/experiments",
                    Some(json!({"name": format!("Race {round} {k}"),
                        "variants": [{"name": "a"}, {"name": "b"}],
                        "layer": {"name": layer, "start": start, "end": end}})),
                );
                assert_eq!(status, 201, "{e}");
                e["id"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        let barrier = Barrier::new(2);
        let outcomes: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
            let handles: Vec<_> = ids
                .iter()
                .map(|id| {
                    let (api, barrier) = (&api, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        api.admin("POST", &format!("/api/v1/experiments/{id}/start"), None)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let started = outcomes.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(
            started, 1,
            "round {round}: exactly one starts: {outcomes:?}"
        );
        let (_, refused) = outcomes
            .iter()
            .find(|(s, _)| *s != 200)
            .expect("one refused");
        assert_eq!(
            refused["error"]["code"].as_str(),
            Some("layer_overlap"),
            "round {round}: {refused}"
        );
        let running = ids
            .iter()
            .filter(|id| {
                api.admin("GET", &format!("/api/v1/experiments/{id}"), None)
                    .1["status"]
                    == "running"
            })
            .count();
        assert_eq!(running, 1, "round {round}");
    }
}
