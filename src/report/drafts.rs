//! Drafted explanations (说明草稿) of the annual report's flagged variances: one sentence per
//! row of `sql/report/explanations/inputs.sql`, written by the template
//! `sql/report/explanations/<lang>.txt`, shown where the `note` table has no text yet.
//!
//! Every figure is a column of the SQL; this module only fills the template with them.

use std::collections::HashMap;
use std::path::Path;

use super::data::{self, Bindings};
use super::render::render_template;
use super::{Labels, Language};
use crate::error::Result;
use crate::session::Session;

/// What a draft explains: fund, direction, item and measure (`execution_rate`, `growth`).
pub type VarianceKey = (String, String, String, String);

/// The drafted sentence of every flagged variance that the `note` table does not explain.
pub async fn drafts(
    session: &mut Session,
    report_folder: &Path,
    bindings: &Bindings,
    labels: &Labels,
    lang: Language,
) -> Result<HashMap<VarianceKey, String>> {
    let folder = report_folder.join("explanations");
    let inputs = data::run_file(session, &folder.join("inputs.sql"), bindings).await?;
    let column = |name| inputs.column(name);
    let (fund, direction, item, measure, draft) = (
        column("fund_code")?,
        column("direction")?,
        column("item_code")?,
        column("measure")?,
        column("draft")?,
    );
    let template = format!("{}.txt", lang.code());
    let mut drafts = HashMap::new();
    for row in 0..inputs.rows.len() {
        if inputs.text(row, draft) != "true" {
            continue;
        }
        // The columns as text (a NULL left out, so a template can test for it) and the labels.
        let mut context: serde_json::Map<String, serde_json::Value> = inputs
            .columns
            .iter()
            .zip(&inputs.rows[row])
            .filter_map(|((name, _), value)| Some((name.clone(), value.clone()?.into())))
            .collect();
        context.insert("labels".into(), labels.json.clone());
        let sentence = render_template(&folder, &template, &context)?;
        let key = (
            inputs.text(row, fund).to_string(),
            inputs.text(row, direction).to_string(),
            inputs.text(row, item).to_string(),
            inputs.text(row, measure).to_string(),
        );
        drafts.insert(key, sentence.trim().to_string());
    }
    Ok(drafts)
}
