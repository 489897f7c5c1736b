//! Random test data drawn from proptest strategies by a runner with a fixed seed, for tests whose
//! every case is a whole server: proptest's own loop (`TestRunner::run`) is synchronous and
//! shrinks by running a case again, which such a test cannot afford. The same seed draws the same
//! values on every run and backend, so a failure names its seed and replays from it.

use proptest::arbitrary::any;
use proptest::sample::Index;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Draws values from strategies, deterministically from its seed.
pub struct Draws(TestRunner);

impl Draws {
    pub fn seeded(seed: u64) -> Draws {
        // ChaCha takes a 32-byte seed; the test's seed fills the first eight.
        let mut bytes = [0_u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        Draws(TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
        ))
    }

    /// One value of `strategy` (its simplest-first shrinking is never used).
    pub fn draw<S: Strategy>(&mut self, strategy: S) -> S::Value {
        strategy
            .new_tree(&mut self.0)
            .expect("the strategies drawn from here filter nothing out")
            .current()
    }

    /// One of `items`, drawn as proptest's `sample::Index`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.draw(any::<Index>()).get(items)
    }
}
