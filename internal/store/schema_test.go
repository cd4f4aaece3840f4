package store_test

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// The schema agreement test (house rule 10) migrates a fresh SQLite database and, when
// TIDINGS_TEST_POSTGRES is set, a fresh PostgreSQL schema, reads back what the migrations
// built (tables, columns with a normalised type, nullability and default, primary keys,
// indexes and unique constraints, foreign keys) and compares the two. Without PostgreSQL the
// SQLite schema is compared with testdata/schema.golden.json instead, so a drift still shows
// in a plain `go test`; `go test ./internal/store -run TestMigratedSchemasAgree -update`
// rewrites the golden file after an intended change (then run it on PostgreSQL too).

// schema is a database's tables as the comparison sees them.
type schema map[string]table

type table struct {
	Columns     map[string]column `json:"columns"`
	PrimaryKey  []string          `json:"primary_key,omitempty"`
	Indexes     map[string]index  `json:"indexes,omitempty"` // by name; UNIQUE constraints as "unique(a,b)"
	ForeignKeys []string          `json:"foreign_keys,omitempty"`
}

type column struct {
	Type    string `json:"type"` // normType's vocabulary
	NotNull bool   `json:"not_null,omitempty"`
	Default string `json:"default,omitempty"` // normDefault's form
}

type index struct {
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
	Partial bool     `json:"partial,omitempty"`
}

// dialectOnly lists the known, intended differences: what one dialect has and the other
// lacks by design. The comparison ignores exactly these and nothing else; add an entry only
// with the reason.
var dialectOnly = []struct {
	dialect      store.Dialect // "" for both
	table, index string        // index "" drops the whole table
	why          string
}{
	{"", "goose_db_version", "", "goose's own bookkeeping table, shaped differently per dialect"},
	{store.Postgres, "appointments", "appointments_no_overlap", "the exclusion constraint (btree_gist) that refuses overlapping " +
		"Tidings bookings; SQLite has no such constraint and relies on its single writer (store package doc)"},
}

// comparable returns s without what dialectOnly allows dialect d to have on its own.
func comparable(d store.Dialect, s schema) schema {
	out := make(schema, len(s))
	for name, t := range s {
		out[name] = t
	}
	for _, x := range dialectOnly {
		if x.dialect != "" && x.dialect != d {
			continue
		}
		t, ok := out[x.table]
		if !ok {
			continue
		}
		if x.index == "" {
			delete(out, x.table)
			continue
		}
		idx := make(map[string]index, len(t.Indexes))
		for k, v := range t.Indexes {
			if k != x.index {
				idx[k] = v
			}
		}
		t.Indexes = idx
		out[x.table] = t
	}
	return out
}

// schemaDiff compares two dialects' schemas, minus the allowed differences: "" when they
// agree, else a cmp.Diff (-a +b).
func schemaDiff(da store.Dialect, a schema, db store.Dialect, b schema) string {
	return cmp.Diff(comparable(da, a), comparable(db, b))
}

var typeSize = regexp.MustCompile(`\s*\(.*\)$`)

// normType maps a declared (SQLite) or catalogued (PostgreSQL) type to a small vocabulary:
// int, text, time, bool, bytes, float, decimal, json. Anything else is kept as it is, so an
// unexpected type shows up in the diff.
func normType(raw string) string {
	t := strings.ToLower(strings.TrimSpace(typeSize.ReplaceAllString(raw, "")))
	switch t {
	case "integer", "int", "bigint", "smallint", "int2", "int4", "int8", "serial", "bigserial":
		return "int"
	case "text", "varchar", "character varying", "char", "character", "citext", "clob":
		return "text"
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "datetime":
		return "time"
	case "boolean", "bool":
		return "bool"
	case "blob", "bytea":
		return "bytes"
	case "real", "double", "double precision", "float", "float4", "float8":
		return "float"
	case "numeric", "decimal":
		return "decimal"
	case "json", "jsonb":
		return "json"
	case "":
		return "any" // SQLite: no declared type
	}
	return t
}

var castSuffix = regexp.MustCompile(`::[a-z ]+(\[\])?$`)

// normDefault writes a column default the same way for both dialects: casts dropped
// ('en'::text → 'en'), booleans as 1 and 0.
func normDefault(raw sql.NullString) string {
	if !raw.Valid {
		return ""
	}
	d := strings.TrimSpace(raw.String)
	for castSuffix.MatchString(d) {
		d = castSuffix.ReplaceAllString(d, "")
	}
	switch strings.ToLower(d) {
	case "true":
		return "1"
	case "false":
		return "0"
	}
	return d
}

// normAction writes an ON DELETE action as SQLite's pragma does.
func normAction(a string) string {
	switch a {
	case "a", "NO ACTION":
		return ""
	case "c":
		return "CASCADE"
	case "r":
		return "RESTRICT"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	}
	return a
}

func orElse(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func foreignKey(cols, ref, refCols, onDelete string) string {
	s := fmt.Sprintf("(%s) REFERENCES %s(%s)", cols, ref, refCols)
	if a := normAction(onDelete); a != "" {
		s += " ON DELETE " + a
	}
	return s
}

func queryAll(t *testing.T, db *sql.DB, scan func(*sql.Rows) error, q string, args ...any) {
	t.Helper()
	rs, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// finish makes primary key columns NOT NULL (SQLite's INTEGER PRIMARY KEY reports nullable)
// and sorts foreign keys.
func finish(s schema) schema {
	for name, t := range s {
		for _, c := range t.PrimaryKey {
			col := t.Columns[c]
			col.NotNull = true
			t.Columns[c] = col
		}
		slices.Sort(t.ForeignKeys)
		s[name] = t
	}
	return s
}

func sqliteSchema(t *testing.T, db *sql.DB) schema {
	s := schema{}
	var names []string
	queryAll(t, db, func(r *sql.Rows) error {
		var n string
		names = append(names, n)
		return r.Scan(&names[len(names)-1])
	}, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	for _, name := range names {
		tb := table{Columns: map[string]column{}, Indexes: map[string]index{}}
		type pkCol struct {
			name string
			seq  int
		}
		var pk []pkCol
		queryAll(t, db, func(r *sql.Rows) error {
			var col, typ string
			var notNull bool
			var dflt sql.NullString
			var pkSeq int
			if err := r.Scan(&col, &typ, &notNull, &dflt, &pkSeq); err != nil {
				return err
			}
			tb.Columns[col] = column{Type: normType(typ), NotNull: notNull, Default: normDefault(dflt)}
			if pkSeq > 0 {
				pk = append(pk, pkCol{col, pkSeq})
			}
			return nil
		}, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, name)
		slices.SortFunc(pk, func(a, b pkCol) int { return a.seq - b.seq })
		for _, c := range pk {
			tb.PrimaryKey = append(tb.PrimaryKey, c.name)
		}
		type idx struct {
			name, origin    string
			unique, partial bool
		}
		var idxs []idx
		queryAll(t, db, func(r *sql.Rows) error {
			var x idx
			idxs = append(idxs, x)
			return r.Scan(&idxs[len(idxs)-1].name, &idxs[len(idxs)-1].unique, &idxs[len(idxs)-1].origin, &idxs[len(idxs)-1].partial)
		}, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, name)
		for _, x := range idxs {
			if x.origin == "pk" {
				continue // the primary key, already read from table_info
			}
			var cols []string
			queryAll(t, db, func(r *sql.Rows) error {
				var c sql.NullString
				if err := r.Scan(&c); err != nil {
					return err
				}
				cols = append(cols, orElse(c.String, "<expr>"))
				return nil
			}, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, x.name)
			key := x.name
			if x.origin == "u" {
				key = "unique(" + strings.Join(cols, ",") + ")"
			}
			tb.Indexes[key] = index{Columns: cols, Unique: x.unique, Partial: x.partial}
		}
		type fk struct {
			id                   int
			from, ref, to, onDel string
		}
		var fks []fk
		queryAll(t, db, func(r *sql.Rows) error {
			var x fk
			var to sql.NullString
			if err := r.Scan(&x.id, &x.ref, &x.from, &to, &x.onDel); err != nil {
				return err
			}
			x.to = orElse(to.String, "<pk>")
			fks = append(fks, x)
			return nil
		}, `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, name)
		for i := 0; i < len(fks); {
			j, from, to := i, []string{}, []string{}
			for ; j < len(fks) && fks[j].id == fks[i].id; j++ {
				from, to = append(from, fks[j].from), append(to, fks[j].to)
			}
			tb.ForeignKeys = append(tb.ForeignKeys, foreignKey(strings.Join(from, ","), fks[i].ref, strings.Join(to, ","), fks[i].onDel))
			i = j
		}
		s[name] = tb
	}
	return finish(s)
}

func postgresSchema(t *testing.T, db *sql.DB) schema {
	s := schema{}
	queryAll(t, db, func(r *sql.Rows) error {
		var name string
		if err := r.Scan(&name); err != nil {
			return err
		}
		s[name] = table{Columns: map[string]column{}, Indexes: map[string]index{}}
		return nil
	}, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	queryAll(t, db, func(r *sql.Rows) error {
		var tbl, col, typ, nullable string
		var dflt sql.NullString
		if err := r.Scan(&tbl, &col, &typ, &nullable, &dflt); err != nil {
			return err
		}
		if tb, ok := s[tbl]; ok {
			tb.Columns[col] = column{Type: normType(typ), NotNull: nullable == "NO", Default: normDefault(dflt)}
		}
		return nil
	}, `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = current_schema()`)
	queryAll(t, db, func(r *sql.Rows) error {
		var tbl, name, contype, cols string
		var unique, primary, partial bool
		if err := r.Scan(&tbl, &name, &unique, &primary, &partial, &contype, &cols); err != nil {
			return err
		}
		tb, ok := s[tbl]
		if !ok {
			return nil
		}
		cs := strings.Split(cols, "\x1f")
		switch {
		case primary:
			tb.PrimaryKey = cs
		case contype == "u":
			tb.Indexes["unique("+strings.Join(cs, ",")+")"] = index{Columns: cs, Unique: true, Partial: partial}
		default:
			tb.Indexes[name] = index{Columns: cs, Unique: unique, Partial: partial}
		}
		s[tbl] = tb
		return nil
	}, `SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, COALESCE(con.contype::text, ''),
			(SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, false), E'\x1f' ORDER BY k) FROM generate_series(1, ix.indnkeyatts) k)
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x')
		WHERE n.nspname = current_schema()`)
	queryAll(t, db, func(r *sql.Rows) error {
		var tbl, from, ref, to, onDel string
		if err := r.Scan(&tbl, &from, &ref, &to, &onDel); err != nil {
			return err
		}
		if tb, ok := s[tbl]; ok {
			tb.ForeignKeys = append(tb.ForeignKeys, foreignKey(from, ref, to, onDel))
			s[tbl] = tb
		}
		return nil
	}, `SELECT t.relname,
			(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
			rt.relname,
			(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
			con.confdeltype::text
		FROM pg_constraint con
		JOIN pg_class t ON t.oid = con.conrelid
		JOIN pg_class rt ON rt.oid = con.confrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE con.contype = 'f' AND n.nspname = current_schema()`)
	return finish(s)
}

// TestMigratedSchemasAgree: both dialects' migrations build the same tables, columns, types,
// keys and indexes (house rule 10), apart from dialectOnly.
func TestMigratedSchemasAgree(t *testing.T) {
	lite, err := store.Open(ctx, store.Config{DSN: filepath.Join(t.TempDir(), "tidings.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got := comparable(store.SQLite, sqliteSchema(t, lite.SQLDB()))
	if len(got) == 0 {
		t.Fatal("no tables read back from SQLite")
	}

	golden := filepath.Join("testdata", "schema.golden.json")
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var want schema
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	if d := cmp.Diff(normEmpty(want), normEmpty(got)); d != "" {
		t.Errorf("SQLite schema differs from %s (-golden +sqlite); if intended, make the PostgreSQL migration match, "+
			"then rerun with -update (and with %s set):\n%s", golden, storetest.EnvPostgres, d)
	}

	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Logf("%s not set: compared SQLite with %s only", storetest.EnvPostgres, golden)
		return
	}
	pg := storetest.Open(t, nil)
	liteSchema := sqliteSchema(t, lite.SQLDB())
	if d := schemaDiff(store.SQLite, liteSchema, store.Postgres, postgresSchema(t, pg.SQLDB())); d != "" {
		t.Errorf("migrated schemas differ (-sqlite +postgres); align the migrations, or add an intended difference to dialectOnly:\n%s", d)
	}

	// The live comparison can fail: drift the PostgreSQL schema and see it reported.
	for _, q := range []string{
		`ALTER TABLE absences ADD COLUMN drift TEXT`,
		`ALTER TABLE absences ALTER COLUMN note DROP DEFAULT`,
		`DROP INDEX absences_practitioner_time`,
		`CREATE UNIQUE INDEX absences_drift ON absences (practitioner_id, drift)`,
	} {
		if _, err := pg.SQLDB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d := schemaDiff(store.SQLite, liteSchema, store.Postgres, postgresSchema(t, pg.SQLDB()))
	for _, want := range []string{`"drift"`, `"''"`, `"absences_practitioner_time"`, `"absences_drift"`} {
		if !strings.Contains(d, want) {
			t.Errorf("drifted PostgreSQL schema: diff does not mention %s:\n%s", want, d)
		}
	}
}

// normEmpty treats a nil and an empty index map alike (JSON omits both).
func normEmpty(s schema) schema {
	out := make(schema, len(s))
	for n, t := range s {
		if len(t.Indexes) == 0 {
			t.Indexes = nil
		}
		out[n] = t
	}
	return out
}

// TestSchemaDiffFails: the comparer reports each kind of difference, and forgives only
// what dialectOnly names.
func TestSchemaDiffFails(t *testing.T) {
	base := func() schema {
		return schema{
			"appointments": {
				Columns: map[string]column{
					"id":        {Type: "int", NotNull: true},
					"starts_at": {Type: "time", NotNull: true},
					"note":      {Type: "text", NotNull: true, Default: "''"},
				},
				PrimaryKey:  []string{"id"},
				Indexes:     map[string]index{"appointments_agenda_busy": {Columns: []string{"agenda_id", "starts_at"}}},
				ForeignKeys: []string{"(organisation_id,agenda_id) REFERENCES agendas(organisation_id,id)"},
			},
			"goose_db_version": {Columns: map[string]column{"version_id": {Type: "int"}}},
		}
	}
	if d := schemaDiff(store.SQLite, base(), store.Postgres, base()); d != "" {
		t.Fatalf("identical schemas differ:\n%s", d)
	}
	tests := []struct {
		name   string
		change func(s schema)
		want   string // in the diff; "" for no difference
	}{
		{"column type", func(s schema) { s["appointments"].Columns["starts_at"] = column{Type: "text", NotNull: true} }, "starts_at"},
		{"nullability", func(s schema) { s["appointments"].Columns["note"] = column{Type: "text", Default: "''"} }, "note"},
		{"default", func(s schema) {
			s["appointments"].Columns["note"] = column{Type: "text", NotNull: true, Default: "'x'"}
		}, "note"},
		{"missing column", func(s schema) { delete(s["appointments"].Columns, "note") }, "note"},
		{"missing table", func(s schema) { delete(s, "appointments") }, "appointments"},
		{"extra table", func(s schema) { s["extra"] = table{Columns: map[string]column{}} }, "extra"},
		{"index columns", func(s schema) {
			s["appointments"].Indexes["appointments_agenda_busy"] = index{Columns: []string{"agenda_id"}}
		}, "appointments_agenda_busy"},
		{"unlisted index", func(s schema) { s["appointments"].Indexes["appointments_by_note"] = index{Columns: []string{"note"}} }, "appointments_by_note"},
		{"primary key", func(s schema) {
			tb := s["appointments"]
			tb.PrimaryKey = []string{"id", "note"}
			s["appointments"] = tb
		}, "PrimaryKey"},
		{"foreign key action", func(s schema) {
			tb := s["appointments"]
			tb.ForeignKeys = []string{"(organisation_id,agenda_id) REFERENCES agendas(organisation_id,id) ON DELETE CASCADE"}
			s["appointments"] = tb
		}, "CASCADE"},
		{"allowed: the exclusion constraint", func(s schema) {
			s["appointments"].Indexes["appointments_no_overlap"] = index{Columns: []string{"agenda_id", "tstzrange(starts_at, ends_at, '[)'::text)"}}
		}, ""},
		{"allowed: goose's table", func(s schema) { s["goose_db_version"].Columns["tstamp"] = column{Type: "time"} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := base()
			tt.change(pg)
			d := schemaDiff(store.SQLite, base(), store.Postgres, pg)
			if tt.want == "" {
				if d != "" {
					t.Errorf("allowed difference reported:\n%s", d)
				}
				return
			}
			if !strings.Contains(d, tt.want) {
				t.Errorf("diff does not mention %q:\n%s", tt.want, d)
			}
		})
	}
	// The exclusion constraint is allowed on PostgreSQL only.
	lite := base()
	lite["appointments"].Indexes["appointments_no_overlap"] = index{Columns: []string{"agenda_id"}}
	if d := schemaDiff(store.SQLite, lite, store.Postgres, base()); d == "" {
		t.Error("an exclusion constraint on SQLite went unreported")
	}
}

func TestNormType(t *testing.T) {
	tests := map[string]string{
		"INTEGER": "int", "bigint": "int", "integer": "int", "TEXT": "text", "character varying": "text", "VARCHAR(40)": "text",
		"TIMESTAMP": "time", "timestamp with time zone": "time", "BOOLEAN": "bool", "boolean": "bool", "BLOB": "bytes",
		"bytea": "bytes", "REAL": "float", "double precision": "float", "": "any", "tsrange": "tsrange",
	}
	for in, want := range tests {
		if got := normType(in); got != want {
			t.Errorf("normType(%q) = %q, want %q", in, got, want)
		}
	}
	defaults := map[string]string{"''::text": "''", "'en'::text": "'en'", "true": "1", "FALSE": "0", "1": "1", "'x'::character varying": "'x'"}
	for in, want := range defaults {
		if got := normDefault(sql.NullString{String: in, Valid: true}); got != want {
			t.Errorf("normDefault(%q) = %q, want %q", in, got, want)
		}
	}
}
