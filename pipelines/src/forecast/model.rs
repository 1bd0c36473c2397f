//! The meta-model folder `fit` writes and `forecast` reads: `model.json` (every setting, the
//! pool, the feature scaler, the data's fingerprint, the library version) and, for FFORMA,
//! `fforma.safetensors`, whose SHA-256 `model.json` records and the reader checks; for
//! PPO, the policy's checkpoint folder `ppo/` (its own `state.json` records every tensor
//! file's SHA-256, checked on load); and, when `fit` kept it, the per-series work
//! `work.msgpack` (MessagePack: every f64 exact, NaN included), whose SHA-256 `model.json`
//! records too.

use std::collections::HashMap;
use std::path::Path;

use metablend_core::fs::checksum::{file_sha256, verify_file};
use metablend_core::fs::write_output_folder;
use metablend_ensemble::forecast::GlobalMlpConfig;
use metablend_ensemble::meta::{FeatureScaler, Fforma, FformaConfig, Shrinkage};
use metablend_ensemble::panel::Frequency;
use metablend_ensemble::ModelSpec;
use serde::{Deserialize, Serialize};

use metablend_agents::ppo::PpoLearner;

use super::{ForecastOptions, InputWindow, KeptWork, MetaLearner, PpoMetaOptions, SeriesFit};
use crate::{Error, Result};

/// The version of the folder's layout this build writes. Formats 1 (before the PPO
/// meta-combiner, the global MLP and the FFORMA options were recorded) and 2 (before the
/// kept work) are read too: their missing fields take the values they were fitted with
/// (none, FFORMA's defaults, no work).
pub const MODEL_FORMAT: u32 = 3;

/// The oldest format this build reads.
const OLDEST_FORMAT: u32 = 1;

const CARD: &str = "model.json";
const LEARNER: &str = "fforma.safetensors";
const PPO: &str = "ppo";
const WORK: &str = "work.msgpack";

/// Everything a meta-model is, except the learner's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// [`MODEL_FORMAT`] of the writer.
    pub format: u32,
    /// The metablend version that fitted it.
    pub library_version: String,
    /// Steps forecast.
    pub horizon: usize,
    /// The seasonal period used by the pool, the features and the MASE scale.
    pub period: usize,
    /// The pool.
    pub models: Vec<ModelSpec>,
    /// The pool's column names.
    pub names: Vec<String>,
    /// The combination.
    pub meta: MetaLearner,
    /// The FFORMA learner's settings (with `meta = fforma`).
    pub fforma: Option<FformaConfig>,
    /// Which window's errors the FFORMA learner observed while it learned.
    #[serde(default)]
    pub fforma_inputs: Option<InputWindow>,
    /// The FFORMA network's layer sizes, input first.
    pub fforma_sizes: Option<Vec<usize>>,
    /// The shrinkage of the FFORMA learner's weights toward the panel's best member, when
    /// fitted with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fforma_shrinkage: Option<Shrinkage>,
    /// The PPO meta-combiner's training (with `meta = ppo`).
    #[serde(default)]
    pub ppo: Option<PpoMetaOptions>,
    /// The global MLP in the pool, if any (refit on the panel `forecast` is given).
    #[serde(default)]
    pub global: Option<GlobalMlpConfig>,
    /// The feature scaler fitted on the training panel.
    pub scaler: FeatureScaler,
    /// The training panel's frequency.
    pub frequency: Option<Frequency>,
    /// Series in the training panel.
    pub series: usize,
    /// Series the meta-learner learned from (the others were too short or constant).
    pub fitted_series: usize,
    /// Ids of the training series that got the fallback.
    pub fallbacks: Vec<String>,
    /// SHA-256 of the training panel's ids and values.
    pub data_fingerprint: String,
    /// SHA-256 of `fforma.safetensors` (set when saved).
    pub learner_sha256: Option<String>,
    /// SHA-256 of `work.msgpack`, when the model keeps its per-series work (set when saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_sha256: Option<String>,
}

/// A fitted meta-model.
pub struct MetaModel {
    /// Its settings and provenance.
    pub card: ModelCard,
    /// The FFORMA network, with `meta = fforma`.
    pub learner: Option<Fforma>,
    /// The PPO policy's learner, with `meta = ppo`.
    pub ppo: Option<PpoLearner>,
    /// The per-series work on the training panel, when `fit` kept it.
    pub work: Option<KeptWork>,
}

impl MetaModel {
    /// Writes the model folder atomically (a folder `fit` wrote before is replaced; see
    /// `metablend_core::fs::check_output_folder` for what is refused).
    pub fn save(&self, dir: &Path) -> Result<()> {
        write_output_folder(dir, "fit", |tmp| -> Result<()> {
            let mut card = self.card.clone();
            if let Some(learner) = &self.learner {
                let path = tmp.join(LEARNER);
                learner.save(&path)?;
                card.learner_sha256 = Some(file_sha256(&path)?);
            }
            if let Some(ppo) = &self.ppo {
                ppo.save(tmp.join(PPO))?;
            }
            if let Some(work) = &self.work {
                let path = tmp.join(WORK);
                let bytes = rmp_serde::to_vec(work).expect("the work serialises");
                std::fs::write(&path, bytes).map_err(|e| Error::folder(&path, e.to_string()))?;
                card.work_sha256 = Some(file_sha256(&path)?);
            }
            let json = serde_json::to_string_pretty(&card).expect("the card serialises");
            let path = tmp.join(CARD);
            std::fs::write(&path, json).map_err(|e| Error::folder(&path, e.to_string()))?;
            Ok(())
        })
    }

    /// Reads a model folder; a missing or damaged file, another format or a learner that
    /// does not match its card is an error naming the file.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(CARD);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::folder(
                &path,
                format!("not a meta-model folder (written by `metablend fit`): {e}"),
            )
        })?;
        let card: ModelCard = serde_json::from_str(&text)
            .map_err(|e| Error::folder(&path, format!("damaged: {e}")))?;
        if !(OLDEST_FORMAT..=MODEL_FORMAT).contains(&card.format) {
            return Err(Error::folder(
                &path,
                format!(
                    "format {} (this build reads {OLDEST_FORMAT} to {MODEL_FORMAT}); fit the model again",
                    card.format
                ),
            ));
        }
        let learner = match (card.meta, &card.fforma_sizes, &card.learner_sha256) {
            (MetaLearner::Fforma, Some(sizes), Some(digest)) => {
                let path = dir.join(LEARNER);
                verify_file(&path, digest)?;
                let bag = card.fforma.as_ref().map_or(1, |c| c.bag);
                let learner = Fforma::load(&path, sizes, bag)?;
                let features = card.scaler.dim();
                if sizes.first() != Some(&(features + card.names.len())) {
                    return Err(Error::folder(
                        &path,
                        format!(
                            "input size {sizes:?} does not fit {features} features and {} models",
                            card.names.len()
                        ),
                    ));
                }
                Some(learner)
            }
            (MetaLearner::Fforma, _, _) => {
                return Err(Error::folder(
                    &path,
                    "meta = fforma, but no learner is recorded",
                ))
            }
            _ => None,
        };
        let ppo = match (card.meta, card.ppo) {
            (MetaLearner::Ppo, Some(_)) => Some(load_ppo(&dir.join(PPO), &card)?),
            (MetaLearner::Ppo, None) => {
                return Err(Error::folder(
                    &path,
                    "meta = ppo, but no PPO settings are recorded",
                ))
            }
            _ => None,
        };
        let work = match &card.work_sha256 {
            Some(digest) => Some(load_work(&dir.join(WORK), digest, &card)?),
            None => None,
        };
        Ok(Self {
            card,
            learner,
            ppo,
            work,
        })
    }
}

/// The kept work of a model folder, checked against its digest and card: one entry per
/// training series.
fn load_work(path: &Path, digest: &str, card: &ModelCard) -> Result<KeptWork> {
    verify_file(path, digest)?;
    let bytes = std::fs::read(path).map_err(|e| Error::folder(path, e.to_string()))?;
    let work: KeptWork =
        rmp_serde::from_slice(&bytes).map_err(|e| Error::folder(path, format!("damaged: {e}")))?;
    if work.fits.len() != card.series {
        return Err(Error::folder(
            path,
            format!(
                "holds the work of {} series; the card says {} were fitted",
                work.fits.len(),
                card.series
            ),
        ));
    }
    Ok(work)
}

impl MetaModel {
    /// The work the model kept, if it can stand in for a forecast panel's with `opts` (where
    /// the panel's intervals may be calibrated on the earlier window, the work needs it).
    pub fn kept_work(&self, opts: &ForecastOptions) -> Option<&KeptWork> {
        self.work
            .as_ref()
            .filter(|w| w.earlier || !opts.panel_earlier_window())
    }

    /// The gathered work of a partitioned forecast, `(id, fit)` per series with `None` where
    /// a worker reused the kept work ([`SeriesWork::reused`](super::SeriesWork::reused)),
    /// completed from the kept work.
    pub fn complete_work(
        &self,
        gathered: Vec<(String, Option<SeriesFit>)>,
    ) -> Result<Vec<SeriesFit>> {
        let kept = self.work.as_ref();
        let by_id: HashMap<&str, &SeriesFit> = kept
            .map(|w| w.fits.iter().map(|f| (f.id.as_str(), f)).collect())
            .unwrap_or_default();
        gathered
            .into_iter()
            .map(|(id, fit)| match fit {
                Some(fit) => Ok(fit),
                None => by_id.get(id.as_str()).map(|f| (*f).clone()).ok_or_else(|| {
                    Error::Settings(format!(
                        "series {id}: its work was left to the model's kept work, which lacks it"
                    ))
                }),
            })
            .collect()
    }
}

/// The PPO policy of a model folder, checked against its card: the observation must hold
/// the scaled features and one validation loss per pool model.
fn load_ppo(path: &Path, card: &ModelCard) -> Result<PpoLearner> {
    let learner =
        PpoLearner::load(path).map_err(|e| Error::folder(path, format!("the PPO policy: {e}")))?;
    let (obs, features, k) = (
        learner.model().obs_dim(),
        card.scaler.dim(),
        card.names.len(),
    );
    if obs != features + k {
        return Err(Error::folder(
            path,
            format!(
                "the policy observes {obs} values; {features} features and {k} models need {}",
                features + k
            ),
        ));
    }
    Ok(learner)
}
