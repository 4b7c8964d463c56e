//! Drafted explanations (说明草稿) of the annual report's flagged variances: one sentence per
//! row of `sql/report/explanations/inputs.sql`, written by the template
//! `sql/report/explanations/<lang>.txt`, shown where the `note` table has no text yet.
//!
//! Every figure is a column of the SQL; this module only fills the template with them.

use std::collections::HashMap;
use std::path::Path;

use super::data::{self, Bindings, Records};
use super::render::render_template;
use super::{Labels, Language};
use crate::error::Result;
use crate::session::Session;

/// What a draft explains: fund_code, direction, item_code and measure (`execution_rate`,
/// `growth`).
pub type VarianceKey = [String; 4];

/// The [`VarianceKey`] of `row`, read from the columns of those names.
pub fn variance_key(records: &Records, row: usize) -> Result<VarianceKey> {
    let mut key: VarianceKey = Default::default();
    for (part, name) in key
        .iter_mut()
        .zip(["fund_code", "direction", "item_code", "measure"])
    {
        *part = records.text(row, records.column(name)?).to_string();
    }
    Ok(key)
}

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
    let draft = column("draft")?;
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
        drafts.insert(variance_key(&inputs, row)?, sentence.trim().to_string());
    }
    Ok(drafts)
}
