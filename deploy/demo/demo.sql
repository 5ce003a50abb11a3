-- Demo data for `make dev`: one running experiment, idempotent.
INSERT OR IGNORE INTO experiments (id, key, name, status, config, created_at, updated_at) VALUES (
  'demo-checkout-button', 'checkout-button', 'Checkout button colour', 'running',
  '{"id":"demo-checkout-button","key":"checkout-button","name":"Checkout button colour","description":"Does a green checkout button convert better than the blue one?","hypothesis":"Green increases checkout conversion by 10%","status":"running","variants":[{"name":"control","allocation":0.5,"is_control":true,"config":{"color":"blue"}},{"name":"green","allocation":0.5,"config":{"color":"green"}}],"metrics":["checkout"],"traffic_allocation":1.0,"significance_level":0.05,"base_rate":0.1,"min_detectable_effect":0.1,"mde_type":"relative","power":0.8,"created_at":1763856000000,"updated_at":1763856000000,"started_at":1763856000000}',
  1763856000000, 1763856000000
);
