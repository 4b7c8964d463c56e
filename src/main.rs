//! The `fundq` command line: parses arguments, runs one command, maps errors to exit codes
//! (0 success, 1 failure, 2 usage).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fundq::commands::{self, Output};
use fundq::engine::Engine;
use fundq::export::ExportFormat;
use fundq::generator::GenOptions;
use fundq::import::{ImportMode, ImportOptions};
use fundq::input::WideLayout;
use fundq::output::OutputFormat;
use fundq::period::Period;
use fundq::report::{Language, ReportFormat, ReportRequest};
use fundq::storage::AsOf;
use fundq::workspace::Workspace;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Social-insurance fund ledgers as Delta Lake tables, indicators as versioned SQL views.
#[derive(Parser)]
#[command(name = "fundq", version, about)]
struct Cli {
    /// Data folder: one sub-folder per table (Delta Lake, or plain Parquet read-only).
    #[arg(long, env = "FUNDQ_DATA", default_value = "data", global = true)]
    data: PathBuf,

    /// SQL folder: views/<name>/v<N>.sql, queries/<name>.sql, tables/<table>.sql.
    #[arg(long, env = "FUNDQ_SQL", default_value = "sql", global = true)]
    sql: PathBuf,

    /// Memory queries may use, in MiB; larger sorts, aggregations and joins spill to temporary
    /// files (or fail when they cannot). Default: no limit.
    #[arg(long, env = "FUNDQ_MEMORY_LIMIT_MB", value_name = "MIB", global = true)]
    memory_limit_mb: Option<usize>,

    /// Tables whose Parquet files add up to at most this many MiB are read into memory once per
    /// command, so a view that scans one several times reads its files once; 0 reads the files
    /// at every scan.
    #[arg(
        long,
        env = "FUNDQ_SMALL_TABLE_MB",
        default_value_t = 4,
        value_name = "MIB",
        global = true
    )]
    small_table_mb: u64,

    /// Where `run`, `sql` and `report` execute: `local` (this process), `ballista://HOST:PORT`
    /// (a Ballista 55 scheduler; every table must be at the same path on every executor) or
    /// `ballista-standalone` (a scheduler and executor inside this process). The ballista
    /// engines need a fundq built with `--features ballista`. Other commands run locally.
    #[arg(
        long,
        env = "FUNDQ_ENGINE",
        default_value = "local",
        value_name = "ENGINE",
        global = true
    )]
    engine: Engine,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List views (name, versions, latest, description) and named queries.
    Views {
        /// Record every view version not yet in sql/views.lock as published (immutable).
        #[arg(long)]
        lock: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print a view's (or query's) SQL and its output columns.
    Show {
        /// `name` for the latest version, `name@vN` to pin one.
        view: String,
    },
    /// List the tables of the data folder with their row counts.
    Tables {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run a view or a named query and print its rows.
    Run {
        /// `view`, `view@vN`, or the name of a query in sql/queries/.
        name: String,
        /// A query parameter, `name=value`; bound as a typed value for `$name`.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = key_value)]
        params: Vec<(String, String)>,
        /// Keep only rows where `column = value` (repeatable; all must hold).
        #[arg(long = "filter", value_name = "COLUMN=VALUE", value_parser = key_value)]
        filters: Vec<(String, String)>,
        #[command(flatten)]
        as_of: AsOfArg,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run an ad-hoc read-only SQL statement over all tables and views.
    Sql {
        /// The statement, for example "SELECT * FROM budget_execution WHERE year = 2022".
        statement: String,
        #[command(flatten)]
        as_of: AsOfArg,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Validate a CSV or xlsx file and commit it to a table in one atomic Delta commit.
    Import {
        /// The file: CSV (UTF-8 with or without BOM, or GBK) or .xlsx; its header names the
        /// table's columns (or their Chinese aliases in sql/import/header_aliases.csv).
        file: PathBuf,
        /// The table to write (defined in sql/tables/<table>.sql).
        #[arg(long)]
        table: String,
        /// `append` adds rows; `replace` swaps the file's (region, year, scenario) slices.
        #[arg(long, value_enum, default_value = "append")]
        mode: ImportMode,
        /// Validate and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The sheet of an .xlsx workbook to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Unit of the `amount` column when the file has no `unit` column: 元, 万元 or 亿元.
        #[arg(long)]
        unit: Option<String>,
        /// Write the valid rows, and the invalid ones with their reasons to this CSV file.
        #[arg(long, value_name = "FILE")]
        reject: Option<PathBuf>,
        /// `wide`: the report's table shape, item names as columns and rows labelled 预算数 /
        /// 实际执行数 / 上年同期; needs --region, --year, --fund and --unit. With --period (and
        /// --table ledger_period) it is a period execution table instead: items down the first
        /// column, 当期执行数 / 累计执行数 / 上年同期累计执行数 across.
        #[arg(long, value_enum, default_value = "long")]
        layout: Layout,
        /// Region code of a wide-layout file.
        #[arg(long, required_if_eq("layout", "wide"))]
        region: Option<String>,
        /// Year of a wide-layout file (上年同期 rows are the year before).
        #[arg(long, conflicts_with = "period")]
        year: Option<i32>,
        /// Month (2023-09) or quarter (2023-Q3) of a wide-layout period execution table.
        #[arg(long)]
        period: Option<Period>,
        /// Fund (code or Chinese name) of a wide-layout file.
        #[arg(long, required_if_eq("layout", "wide"))]
        fund: Option<String>,
    },
    /// Run the data-quality rules of sql/checks/ and check the view catalog; exit 1 on errors.
    Check {
        #[command(flatten)]
        as_of: AsOfArg,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Compare a report's stated figures (CSV: region_code, year, fund_code, table, item,
    /// measure, value, unit) with the ledger and classify every disagreement.
    Audit {
        /// The stated figures, for example data/report_tables.csv.
        file: PathBuf,
        #[command(flatten)]
        as_of: AsOfArg,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write the annual fund report of a region and year (one chapter per fund): tables from
    /// sql/report/tables/, charts from sql/report/charts/, templates sql/report/report.html
    /// and report.md, labels sql/report/labels/<lang>.json. With --period, the budget
    /// execution report of a month or quarter instead, from sql/report/period/.
    Report {
        /// Region code, for example 640121.
        #[arg(long)]
        region: String,
        /// Report year, for example 2022.
        #[arg(long, required_unless_present = "period", conflicts_with = "period")]
        year: Option<i32>,
        /// Month (2023-09) or quarter (2023-Q3) of a budget execution report (序时进度).
        #[arg(long)]
        period: Option<Period>,
        /// html (charts embedded), md (charts as SVG files next to it) or xlsx (a sheet per table).
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
        /// The file to write; default `<region>-<year>-fund-report.<format>`.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Language of the labels.
        #[arg(long, value_enum, default_value_t = Language::Zh)]
        lang: Language,
        #[command(flatten)]
        as_of: AsOfArg,
    },
    /// Serve every table and view, read-only, over the Postgres wire protocol and Arrow Flight
    /// SQL until Ctrl-C or SIGTERM. Changes to sql/ and imports are picked up by the next
    /// statement, without a restart.
    Serve {
        /// Postgres wire address (IP:PORT); default 127.0.0.1:5433.
        #[arg(long, value_name = "ADDR")]
        pg: Option<String>,
        /// Arrow Flight SQL address (IP:PORT); default 127.0.0.1:50051.
        #[arg(long, value_name = "ADDR")]
        flight: Option<String>,
        /// Settings file; its [serve] section sets addresses, users, TLS, query_timeout_secs,
        /// memory_limit_mb, result_cache_mb and max_connections (see README).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        // `--as-of` pins every Delta table (a dashboard of a month end): imports after that
        // version change nothing the server answers.
        #[command(flatten)]
        as_of: AsOfArg,
    },
    /// Write views as files for file-based tools, replacing the folder only once every file is
    /// complete.
    Export {
        /// The folder to write (created, or replaced as a whole).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        #[arg(long, value_enum, default_value_t = ExportFormat::Parquet)]
        format: ExportFormat,
        /// Views to write, comma-separated (`name` or `name@vN`); default every available view.
        #[arg(long, value_delimiter = ',')]
        views: Vec<String>,
        #[command(flatten)]
        as_of: AsOfArg,
    },
    /// Generate a new data folder of synthetic detail records (one per person, month, fund and
    /// item) with matching budget, headcount and dimension tables, as Parquet. The same options
    /// and seed always give the same data.
    Gen {
        /// Insured persons in all regions together.
        #[arg(long)]
        persons: u64,
        /// Counties (Zipf-sized, under cities and provinces with GB/T 2260-style codes).
        #[arg(long)]
        regions: u32,
        /// First and last year, for example 2021..2022.
        #[arg(long, value_name = "A..B", value_parser = year_range)]
        years: (i32, i32),
        /// The data folder to create; it must not exist.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// List a table's versions: time, operation, rows added/removed, source file and SHA-256.
    History {
        table: String,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// The shape of an import file.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Layout {
    /// One figure per row, columns named after the table's columns.
    Long,
    /// The report's own table shape: items as columns.
    Wide,
}

#[derive(Args)]
struct OutputArgs {
    /// Output format; parquet and arrow are binary and need --output or a redirect.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct AsOfArg {
    /// Read every Delta table as of this table version or time (2023-03-31, RFC 3339).
    #[arg(long, value_name = "VERSION|TIME")]
    as_of: Option<AsOf>,
}

impl From<OutputArgs> for Output {
    fn from(args: OutputArgs) -> Output {
        Output {
            format: args.format,
            file: args.output,
        }
    }
}

fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` should be NAME=VALUE")),
    }
}

fn year_range(text: &str) -> Result<(i32, i32), String> {
    let parse = |year: &str| {
        year.trim()
            .parse::<i32>()
            .map_err(|_| format!("`{text}` should be A..B, for example 2021..2022"))
    };
    match text.split_once("..") {
        Some((first, last)) => Ok((parse(first)?, parse(last)?)),
        None => parse(text).map(|year| (year, year)),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Deep view stacks make deeply nested plans; turning them into protobuf for a Ballista
    // cluster recurses further than tokio's default 2 MiB worker stack allows.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fundq: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fundq: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

async fn dispatch(cli: Cli) -> fundq::Result<()> {
    let memory_limit = cli.memory_limit_mb.map(|mib| mib * 1024 * 1024);
    let workspace = |as_of: Option<AsOf>| {
        Workspace::new(cli.data.clone(), cli.sql.clone(), as_of).map(|mut workspace| {
            workspace.memory_limit = memory_limit;
            workspace.small_table_bytes = cli.small_table_mb * 1024 * 1024;
            workspace.engine = cli.engine.clone();
            workspace
        })
    };
    match cli.command {
        Command::Views { lock: true, .. } => commands::lock_views(&workspace(None)?),
        Command::Views { output, .. } => commands::views(&workspace(None)?, &output.into()),
        Command::Show { view } => commands::show(&workspace(None)?, &view).await,
        Command::Tables { output } => commands::tables(&workspace(None)?, &output.into()).await,
        Command::Run {
            name,
            params,
            filters,
            as_of,
            output,
        } => {
            let ws = workspace(as_of.as_of)?;
            commands::run(&ws, &name, &params, &filters, &output.into()).await
        }
        Command::Sql {
            statement,
            as_of,
            output,
        } => commands::sql(&workspace(as_of.as_of)?, &statement, &output.into()).await,
        Command::Import {
            file,
            table,
            mode,
            dry_run,
            sheet,
            unit,
            reject,
            layout,
            region,
            year,
            period,
            fund,
        } => {
            let wide = match (layout, region, year.or(period.map(|p| p.year)), fund) {
                (Layout::Wide, Some(region_code), Some(year), Some(fund_code)) => {
                    Some(WideLayout {
                        region_code,
                        year,
                        fund_code,
                        period,
                    })
                }
                (Layout::Wide, ..) => {
                    return Err(fundq::Error::Usage(
                        "--layout wide needs --year (or --period for a period execution table)"
                            .into(),
                    ));
                }
                _ => None,
            };
            if wide.is_some() && unit.is_none() {
                return Err(fundq::Error::Usage(
                    "--layout wide needs --unit (the report's tables are usually in 万元)".into(),
                ));
            }
            let options = ImportOptions {
                mode,
                dry_run,
                sheet,
                unit,
                wide,
                reject,
            };
            commands::import(&workspace(None)?, &file, &table, &options).await
        }
        Command::Check { as_of, output } => {
            commands::check(&workspace(as_of.as_of)?, &output.into()).await
        }
        Command::Audit {
            file,
            as_of,
            output,
        } => commands::audit(&workspace(as_of.as_of)?, &file, &output.into()).await,
        Command::Report {
            region,
            year,
            period,
            format,
            output,
            lang,
            as_of,
        } => {
            let request = ReportRequest {
                region,
                year: year.or(period.map(|p| p.year)).unwrap_or_default(),
                period,
                format,
                output,
                lang,
            };
            commands::report(&workspace(as_of.as_of)?, &request).await
        }
        Command::Serve {
            pg,
            flight,
            config,
            as_of,
        } => commands::serve(&workspace(as_of.as_of)?, pg, flight, config).await,
        Command::Export {
            to,
            format,
            views,
            as_of,
        } => {
            let written =
                fundq::export::export(&workspace(as_of.as_of)?, &to, format, &views).await?;
            eprintln!("exported {} view(s) to {}", written.len(), to.display());
            Ok(())
        }
        Command::Gen {
            persons,
            regions,
            years,
            out,
            seed,
        } => {
            let options = GenOptions {
                persons,
                regions,
                first_year: years.0,
                last_year: years.1,
                out,
                seed,
            };
            let summary = fundq::generator::generate(&workspace(None)?, &options).await?;
            eprintln!(
                "generated {} detail rows for {} regions in {} ({:.1} MB)",
                summary.detail_rows,
                summary.regions,
                options.out.display(),
                summary.bytes as f64 / 1e6
            );
            Ok(())
        }
        Command::History { table, output } => {
            commands::history(&workspace(None)?, &table, &output.into()).await
        }
    }
}
