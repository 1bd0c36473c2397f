//! Code generic over the ensemble env's action maps, run with the map a config names. This is
//! the one place that lists the maps: a map added to the env crate gets its arm here.

use metablend_env::ensemble::{ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};

use crate::ope::Perturbable;

/// Something to run with whichever action map a run uses (monomorphised per map).
pub trait ActionMapJob {
    /// What the job returns.
    type Output;
    /// Runs the job with `map`.
    fn run<M>(self, map: M) -> Self::Output
    where
        M: ActionMap,
        M::Space: Perturbable;
}

/// Runs `job` with the map `kind` names.
pub fn with_action_map<J: ActionMapJob>(kind: ActionMapKind, job: J) -> J::Output {
    match kind {
        ActionMapKind::Softmax => job.run(Softmax),
        ActionMapKind::Residual => job.run(Residual),
        ActionMapKind::Simplex => job.run(Simplex),
        ActionMapKind::Select => job.run(Select),
    }
}
