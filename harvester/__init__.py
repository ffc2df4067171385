"""First stop of a mention: collectors that pull posts from X, Facebook and Instagram (and
replay files) into the store, with their resume cursors and source health.
Imports models only; router/ takes the stored mentions from there."""
