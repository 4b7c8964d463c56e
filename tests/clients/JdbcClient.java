/*
 * pgjdbc (the PostgreSQL JDBC driver that DBeaver, Metabase, Tableau and every Java BI tool use)
 * against `fundq serve`: DatabaseMetaData as a tool browses it, prepared statements past the
 * driver's server-prepare threshold, setMaxRows, and fetch-size streaming.
 *
 * Usage: java -cp /usr/share/java/postgresql.jar tests/clients/JdbcClient.java HOST PORT [USER [PASSWORD]]
 * Run from the project root (expected figures are read from data/*.csv; FUNDQ_SAMPLE_DATA names
 * another folder). Every check runs; each prints "ok: NAME" or "FAILED: NAME: why" and, for a
 * failure, the last SQL the driver sent. A known gap of fundq (a difference from PostgreSQL that
 * cannot be fixed in fundq yet) prints "KNOWN GAP: NAME: why" and is not a failure. Exits 1 when
 * any check failed.
 *
 * Expected values never come from fundq: amounts are data/ledger.csv's (万元 there, exact yuan
 * in the ledger table: × 10000), names are data/items.csv's and data/funds.csv's, keys are
 * sql/tables/ledger.sql's PRIMARY KEY, descriptions the leading comments of sql/ files
 * (FUNDQ_SAMPLE_SQL names another folder).
 */
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

public class JdbcClient {
    /** The key of sql/tables/ledger.sql, in its declared order. */
    static final List<String> LEDGER_KEY =
            List.of("region_code", "year", "fund_code", "item_code", "scenario");
    static final List<String> TABLES = List.of("ledger", "headcount", "fund", "item", "region");
    static final List<String> VIEWS =
            List.of("budget_execution", "budget_execution_v1", "yoy_growth", "fund_balance");
    /** budget_execution v1's columns (README: "the column names are a contract for BI tools"). */
    static final List<String> BUDGET_EXECUTION_COLUMNS = List.of(
            "region_code", "year", "fund_code", "fund_name", "direction", "item_code", "item_name",
            "budget_wan", "actual_wan", "execution_rate", "deviation_wan", "memo");
    /** The interest row used throughout (enterprise pension, Yongning 2022). */
    static final String REGION = "640121", FUND = "enterprise_pension", ITEM = "interest";
    static final int YEAR = 2022;

    static int failures = 0;
    static int knownGaps = 0;
    static final SentSql sent = new SentSql();

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: JdbcClient HOST PORT [USER [PASSWORD]]");
            System.exit(2);
        }
        String host = args[0], port = args[1];
        String user = args.length > 2 ? args[2] : "fundq";
        String password = args.length > 3 ? args[3] : "";
        Path data = Path.of(System.getenv().getOrDefault("FUNDQ_SAMPLE_DATA", "data"));
        Sample sample = Sample.read(data);

        Logger driverLog = Logger.getLogger("org.postgresql");
        driverLog.setLevel(Level.FINEST);
        driverLog.addHandler(sent);

        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "60");
        String url = "jdbc:postgresql://" + host + ":" + port + "/datafusion";
        try (Connection conn = DriverManager.getConnection(url, props)) {
            DatabaseMetaData meta = conn.getMetaData();
            check("connect and server version", () -> {
                String version = meta.getDatabaseProductVersion();
                expect(meta.getDatabaseMajorVersion() >= 10, "major version " + version);
                return version;
            });
            check("getCatalogs", () -> {
                List<String> catalogs = column(meta.getCatalogs(), "TABLE_CAT");
                expect(catalogs.contains("datafusion"), "catalogs " + catalogs);
                return catalogs.toString();
            });
            check("getSchemas", () -> {
                List<String> schemas = column(meta.getSchemas(), "TABLE_SCHEM");
                expect(schemas.contains("public"), "schemas " + schemas);
                return schemas.toString();
            });
            check("getTables lists tables and views", () -> getTables(meta));
            check("getColumns budget_execution", () -> getColumns(meta));
            check("getPrimaryKeys ledger", () -> {
                List<String> key = new ArrayList<>();
                try (ResultSet rs = meta.getPrimaryKeys(null, "public", "ledger")) {
                    Map<Integer, String> bySeq = new HashMap<>();
                    while (rs.next()) bySeq.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
                    for (int i = 1; i <= bySeq.size(); i++) key.add(bySeq.get(i));
                }
                expect(key.equals(LEDGER_KEY), "primary key " + key + ", sql/tables/ledger.sql declares " + LEDGER_KEY);
                return key.toString();
            });
            check("getImportedKeys ledger", () -> {
                // sql/tables declares no foreign keys: an empty answer, not an error.
                List<String> fks = column(meta.getImportedKeys(null, "public", "ledger"), "FKCOLUMN_NAME");
                expect(fks.isEmpty(), "foreign keys " + fks);
                return "none";
            });
            check("getExportedKeys fund", () -> {
                List<String> fks = column(meta.getExportedKeys(null, "public", "fund"), "FKCOLUMN_NAME");
                expect(fks.isEmpty(), "foreign keys " + fks);
                return "none";
            });
            check("getIndexInfo ledger", () -> {
                // fundq has no indexes; a key it reports as a unique index must be the table's key.
                List<String> columns = column(meta.getIndexInfo(null, "public", "ledger", true, true), "COLUMN_NAME");
                columns.removeIf(c -> c == null);
                expect(columns.isEmpty() || columns.equals(LEDGER_KEY), "unique index columns " + columns);
                return columns.isEmpty() ? "none" : columns.toString();
            });
            check("getFunctions", () -> {
                List<String> functions = column(meta.getFunctions(null, "pg_catalog", "%"), "FUNCTION_NAME");
                expect(!functions.isEmpty(), "no functions in pg_catalog");
                return functions.size() + " functions";
            });
            check("getProcedures", () -> column(meta.getProcedures(null, "public", "%"), "PROCEDURE_NAME").size() + " procedures");
            check("getTypeInfo", () -> {
                List<String> types = column(meta.getTypeInfo(), "TYPE_NAME");
                for (String t : List.of("numeric", "int4", "varchar", "text", "bool", "date")) {
                    expect(types.contains(t), t + " not in getTypeInfo (" + types.size() + " types)");
                }
                return types.size() + " types";
            });
            check("getTableTypes", () -> {
                List<String> types = column(meta.getTableTypes(), "TABLE_TYPE");
                expect(types.contains("TABLE") && types.contains("VIEW"), "table types " + types);
                return types.toString();
            });

            check("result metadata of budget_execution", () -> {
                try (Statement st = conn.createStatement();
                        ResultSet rs = st.executeQuery("SELECT * FROM budget_execution WHERE 1 = 0")) {
                    ResultSetMetaData md = rs.getMetaData();
                    List<String> names = new ArrayList<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) names.add(md.getColumnName(i));
                    expect(names.equals(BUDGET_EXECUTION_COLUMNS), "columns " + names);
                    int actual = names.indexOf("actual_wan") + 1;
                    expect(md.getColumnType(actual) == Types.NUMERIC, "actual_wan is " + md.getColumnTypeName(actual));
                    return "ok";
                }
            });
            check("Chinese text", () -> {
                try (PreparedStatement ps = conn.prepareStatement(
                        "SELECT fund_name, item_name FROM budget_execution "
                                + "WHERE region_code = ? AND year = ? AND fund_code = ? AND item_code = ?")) {
                    bindInterest(ps);
                    try (ResultSet rs = ps.executeQuery()) {
                        expect(rs.next(), "no interest row");
                        expect(sample.fundNames.get(FUND).equals(rs.getString(1)), "fund_name " + rs.getString(1));
                        expect(sample.itemNames.get(FUND + "/" + ITEM).equals(rs.getString(2)), "item_name " + rs.getString(2));
                        return rs.getString(1) + " " + rs.getString(2);
                    }
                }
            });
            check("Chinese parameter", () -> {
                try (PreparedStatement ps = conn.prepareStatement(
                        "SELECT item_code FROM item WHERE fund_code = ? AND name_zh = ?")) {
                    ps.setString(1, FUND);
                    ps.setString(2, sample.itemNames.get(FUND + "/" + ITEM));
                    List<String> codes = column(ps.executeQuery(), "item_code");
                    expect(codes.equals(List.of(ITEM)), "item codes " + codes);
                    return codes.toString();
                }
            });
            check("prepared statement past prepareThreshold", () -> preparedPastThreshold(conn, sample));
            check("prepared statement with changing parameters", () -> changingParameters(conn, sample));
            check("setMaxRows(2)", () -> {
                try (Statement st = conn.createStatement()) {
                    st.setMaxRows(2);
                    try (ResultSet rs = st.executeQuery("SELECT * FROM budget_execution")) {
                        int rows = 0;
                        while (rs.next()) rows++;
                        expect(rows == 2, rows + " rows");
                    }
                }
                try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM ledger WHERE year = ?")) {
                    ps.setMaxRows(2);
                    ps.setInt(1, YEAR);
                    int rows = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) rows++;
                    }
                    expect(rows == 2, rows + " rows (prepared)");
                }
                return "2 rows";
            });
            check("fetch size streams the ledger with exact amounts", () -> fetchSize(conn, sample));
        }
        String gaps = knownGaps == 0 ? "" : " (" + knownGaps + " known gap(s))";
        System.out.println(failures == 0 ? "jdbc: all checks passed" + gaps : "jdbc: " + failures + " check(s) failed" + gaps);
        System.exit(failures == 0 ? 0 : 1);
    }

    static String getTables(DatabaseMetaData meta) throws SQLException, IOException {
        Map<String, String> types = new HashMap<>();
        Map<String, String> remarks = new HashMap<>();
        try (ResultSet rs = meta.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                types.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
                remarks.put(rs.getString("TABLE_NAME"), rs.getString("REMARKS"));
            }
        }
        for (String t : TABLES) expect("TABLE".equals(types.get(t)), t + " is " + types.get(t));
        for (String v : VIEWS) expect("VIEW".equals(types.get(v)), v + " is " + types.get(v));
        // REMARKS are the leading comments of the view's and the table's SQL files.
        for (String[] file : List.of(new String[] {"budget_execution", "views/budget_execution/v1.sql"},
                new String[] {"ledger", "tables/ledger.sql"})) {
            String first = firstCommentLine(Path.of(System.getenv().getOrDefault("FUNDQ_SAMPLE_SQL", "sql"), file[1]));
            String remark = remarks.get(file[0]);
            expect(remark != null && remark.startsWith(first), file[0] + " has REMARKS " + remark + ", expected it to start with " + first);
        }
        // A tool that asks for everything (types = null) must see the same.
        List<String> all = column(meta.getTables(null, null, "%", null), "TABLE_NAME");
        expect(all.containsAll(TABLES) && all.containsAll(VIEWS), "getTables(null types) lacks some: " + all);
        return types.size() + " tables and views";
    }

    /** The text of a SQL file's first line, a `--` comment. */
    static String firstCommentLine(Path file) throws IOException {
        String line = Files.readAllLines(file, StandardCharsets.UTF_8).get(0).trim();
        expect(line.startsWith("--"), file + " does not start with a comment");
        return line.replaceFirst("^-+", "").trim();
    }

    static String getColumns(DatabaseMetaData meta) throws SQLException {
        Map<String, String> found = new LinkedHashMap<>();
        Map<String, int[]> numeric = new HashMap<>();
        try (ResultSet rs = meta.getColumns(null, "public", "budget_execution", "%")) {
            while (rs.next()) {
                String name = rs.getString("COLUMN_NAME");
                found.put(name, rs.getInt("DATA_TYPE") + ":" + rs.getString("TYPE_NAME"));
                numeric.put(name, new int[] {rs.getInt("COLUMN_SIZE"), rs.getInt("DECIMAL_DIGITS")});
            }
        }
        expect(new ArrayList<>(found.keySet()).equals(BUDGET_EXECUTION_COLUMNS), "columns " + found.keySet());
        for (String text : List.of("region_code", "fund_code", "fund_name", "direction", "item_code", "item_name")) {
            int type = Integer.parseInt(found.get(text).split(":")[0]);
            expect(type == Types.VARCHAR, text + " is " + found.get(text));
        }
        expect(found.get("year").equals(Types.INTEGER + ":int4"), "year is " + found.get("year"));
        for (String money : List.of("budget_wan", "actual_wan", "execution_rate", "deviation_wan")) {
            expect(found.get(money).equals(Types.NUMERIC + ":numeric"), money + " is " + found.get(money));
            // sql/views/budget_execution/v1.sql casts every amount and rate to 2 decimals.
            expect(numeric.get(money)[1] == 2, money + " has DECIMAL_DIGITS " + numeric.get(money)[1]);
        }
        expect(found.get("memo").equals(Types.BIT + ":bool"), "memo is " + found.get("memo"));
        return found.toString();
    }

    static void bindInterest(PreparedStatement ps) throws SQLException {
        ps.setString(1, REGION);
        ps.setInt(2, YEAR);
        ps.setString(3, FUND);
        ps.setString(4, ITEM);
    }

    /** pgjdbc switches to a named server-side statement on the 5th execution (prepareThreshold). */
    static String preparedPastThreshold(Connection conn, Sample sample) throws SQLException {
        BigDecimal budget = sample.wan(REGION, YEAR, FUND, ITEM, "adjusted_budget");
        if (budget == null) budget = sample.wan(REGION, YEAR, FUND, ITEM, "budget");
        BigDecimal actual = sample.wan(REGION, YEAR, FUND, ITEM, "actual");
        BigDecimal rate = actual.multiply(BigDecimal.valueOf(100)).divide(budget, 2, RoundingMode.HALF_UP);
        List<BigDecimal> expected = List.of(budget.setScale(2), actual.setScale(2), rate);
        int namedBefore = sent.namedParses;
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT budget_wan, actual_wan, execution_rate FROM budget_execution "
                        + "WHERE region_code = ? AND year = ? AND fund_code = ? AND item_code = ?")) {
            for (int run = 1; run <= 10; run++) {
                bindInterest(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    expect(rs.next(), "run " + run + ": no row");
                    List<BigDecimal> got = List.of(rs.getBigDecimal(1), rs.getBigDecimal(2), rs.getBigDecimal(3));
                    // equals, not compareTo: the scale is part of an exact amount.
                    expect(got.equals(expected), "run " + run + ": " + got + ", expected " + expected);
                    expect(!rs.next(), "run " + run + ": more than one row");
                }
            }
            boolean serverPrepared = ps.unwrap(org.postgresql.PGStatement.class).isUseServerPrepare();
            expect(serverPrepared, "the driver never switched to a server-side prepared statement");
        }
        expect(sent.namedParses > namedBefore, "no named Parse (S_n) was sent");
        return expected.toString() + " x10";
    }

    /** One server-prepared statement, different amounts on each execution. */
    static String changingParameters(Connection conn, Sample sample) throws SQLException {
        List<String[]> keys = new ArrayList<>(sample.ledger.keySet()).subList(0, 12).stream()
                .map(k -> k.split("\\|")).toList();
        List<String> zerosWithoutScale = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT amount_yuan FROM ledger WHERE region_code = ? AND year = ? AND fund_code = ? "
                        + "AND item_code = ? AND scenario = ?")) {
            for (String[] key : keys) {
                ps.setString(1, key[0]);
                ps.setInt(2, Integer.parseInt(key[1]));
                ps.setString(3, key[2]);
                ps.setString(4, key[3]);
                ps.setString(5, key[4]);
                try (ResultSet rs = ps.executeQuery()) {
                    expect(rs.next(), "no row for " + String.join("|", key));
                    BigDecimal expected = sample.ledger.get(String.join("|", key));
                    BigDecimal served = rs.getBigDecimal(1);
                    String row = String.join("|", key);
                    expect(served != null && expected.compareTo(served) == 0, row + ": " + served + " != " + expected);
                    if (served.scale() != expected.scale()) {
                        // Binary NUMERIC (after the prepare threshold): arrow-pg encodes through
                        // rust_decimal, whose zero always has scale 0; every other value keeps it.
                        expect(served.signum() == 0, row + ": " + served + " has scale " + served.scale() + ", expected " + expected);
                        zerosWithoutScale.add(row);
                    }
                }
            }
        }
        if (!zerosWithoutScale.isEmpty()) {
            knownGap("binary NUMERIC zero keeps its scale",
                    zerosWithoutScale + " arrive as 0, not 0.00 (equal by compareTo): arrow-pg 0.16 writes "
                            + "binary NUMERIC through rust_decimal 1.43, which gives every zero scale 0");
        }
        return keys.size() + " executions";
    }

    /** With autocommit off and a fetch size, pgjdbc reads a portal 10 rows at a time. */
    static String fetchSize(Connection conn, Sample sample) throws SQLException {
        conn.setAutoCommit(false);
        int suspendedBefore = sent.portalSuspended;
        Map<String, BigDecimal> served = new HashMap<>();
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(10);
            try (ResultSet rs = st.executeQuery(
                    "SELECT region_code, year, fund_code, item_code, scenario, amount_yuan FROM ledger")) {
                while (rs.next()) {
                    String key = rs.getString(1) + "|" + rs.getInt(2) + "|" + rs.getString(3) + "|"
                            + rs.getString(4) + "|" + rs.getString(5);
                    served.put(key, rs.getBigDecimal(6));
                }
            }
        } finally {
            conn.rollback();
            conn.setAutoCommit(true);
        }
        expect(served.equals(sample.ledger), "ledger differs from data/ledger.csv: " + difference(served, sample.ledger));
        int suspended = sent.portalSuspended - suspendedBefore;
        int atLeast = (sample.ledger.size() - 1) / 10;
        expect(suspended >= atLeast, "the portal was suspended " + suspended + " times, expected at least " + atLeast);
        return served.size() + " rows, portal suspended " + suspended + " times";
    }

    static String difference(Map<String, BigDecimal> served, Map<String, BigDecimal> expected) {
        Set<String> keys = new TreeSet<>(served.keySet());
        keys.addAll(expected.keySet());
        List<String> diffs = new ArrayList<>();
        for (String k : keys) {
            if (!java.util.Objects.equals(served.get(k), expected.get(k))) {
                diffs.add(k + " served " + served.get(k) + " csv " + expected.get(k));
            }
        }
        return diffs.size() + " differences, first " + diffs.subList(0, Math.min(3, diffs.size()));
    }

    // --- helpers ------------------------------------------------------------------------------

    interface Check {
        String run() throws Exception;
    }

    static void check(String name, Check check) {
        sent.last = null;
        try {
            System.out.println("ok: " + name + ": " + check.run());
        } catch (Throwable e) {
            failures++;
            System.out.println("FAILED: " + name + ": " + e.toString().replace('\n', ' '));
            if (sent.last != null) System.out.println("  last SQL sent: " + sent.last.replace('\n', ' '));
        }
    }

    static void expect(boolean condition, String message) {
        if (!condition) throw new AssertionError(message);
    }

    /** A difference from PostgreSQL that fundq cannot remove yet: reported, not a failure. */
    static void knownGap(String name, String why) {
        knownGaps++;
        System.out.println("KNOWN GAP: " + name + ": " + why);
    }

    static List<String> column(ResultSet rs, String name) throws SQLException {
        List<String> values = new ArrayList<>();
        try (rs) {
            while (rs.next()) values.add(rs.getString(name));
        }
        return values;
    }

    /** Watches the driver's FINEST protocol log: the last statement sent, named Parses, suspended portals. */
    static class SentSql extends Handler {
        volatile String last;
        volatile int namedParses, portalSuspended;
        final SimpleFormatter formatter = new SimpleFormatter();
        final java.io.PrintStream trace = traceFile();

        static java.io.PrintStream traceFile() {
            String file = System.getenv("JDBC_TRACE_FILE");
            try {
                return file == null ? null : new java.io.PrintStream(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        @Override
        public void publish(LogRecord record) {
            String message = formatter.formatMessage(record);
            if (trace != null) trace.println(message);
            if (message.contains("FE=> Parse(")) {
                int start = message.indexOf("query=\"");
                if (start >= 0) last = message.substring(start + 7, message.lastIndexOf("\",oids="));
                if (message.contains("Parse(stmt=S_")) namedParses++;
            } else if (message.contains("FE=> SimpleQuery(")) {
                last = message;
            } else if (message.contains("<=BE PortalSuspended")) {
                portalSuspended++;
            }
        }

        @Override
        public void flush() {
            if (trace != null) trace.flush();
        }

        @Override
        public void close() {}
    }

    /** The sample's source CSVs (plain, unquoted: data/SOURCE.md). */
    static class Sample {
        /** region|year|fund|item|scenario → exact yuan, scale 2 (the ledger's DECIMAL(18, 2)). */
        final Map<String, BigDecimal> ledger = new LinkedHashMap<>();
        final Map<String, BigDecimal> wan = new HashMap<>();
        final Map<String, String> itemNames = new HashMap<>();
        final Map<String, String> fundNames = new HashMap<>();

        static Sample read(Path data) throws IOException {
            Sample s = new Sample();
            for (Map<String, String> r : rows(data.resolve("ledger.csv"))) {
                BigDecimal yuanPerUnit = switch (r.get("unit")) {
                    case "元" -> BigDecimal.ONE;
                    case "万元" -> BigDecimal.valueOf(10_000);
                    case "亿元" -> BigDecimal.valueOf(100_000_000);
                    default -> throw new IllegalArgumentException("unit " + r.get("unit"));
                };
                String key = String.join("|", r.get("region_code"), r.get("year"), r.get("fund_code"),
                        r.get("item_code"), r.get("scenario"));
                BigDecimal amount = new BigDecimal(r.get("amount"));
                s.ledger.put(key, amount.multiply(yuanPerUnit).setScale(2, RoundingMode.UNNECESSARY));
                s.wan.put(key, amount.multiply(yuanPerUnit).divide(BigDecimal.valueOf(10_000)));
            }
            for (Map<String, String> r : rows(data.resolve("items.csv"))) {
                s.itemNames.put(r.get("fund_code") + "/" + r.get("item_code"), r.get("name_zh"));
            }
            for (Map<String, String> r : rows(data.resolve("funds.csv"))) {
                s.fundNames.put(r.get("fund_code"), r.get("name_zh"));
            }
            return s;
        }

        BigDecimal wan(String region, int year, String fund, String item, String scenario) {
            return wan.get(String.join("|", region, String.valueOf(year), fund, item, scenario));
        }

        static List<Map<String, String>> rows(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String[] header = lines.get(0).replace("\uFEFF", "").split(",", -1);
            List<Map<String, String>> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                if (line.isEmpty()) continue;
                if (line.contains("\"")) throw new IllegalArgumentException(file + ": quoted fields are not expected: " + line);
                String[] fields = line.split(",", -1);
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < header.length; i++) row.put(header[i], fields[i]);
                rows.add(row);
            }
            return rows;
        }
    }
}
