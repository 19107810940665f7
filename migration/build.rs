//! Embeds every `sql/NNNN_name.sql` file, in lexical order, so the migrator ships the schema
//! inside the binary and a new file needs no code change.
use std::{env, fs, path::Path};

fn main() {
    let sql_dir = Path::new("sql");
    println!("cargo:rerun-if-changed=sql");
    let mut files: Vec<String> = fs::read_dir(sql_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();

    let mut out =
        String::from("/// Every migration file as `(name, sql)`, in the order they apply.\n");
    out.push_str("pub const MIGRATION_FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed=sql/{file}");
        let name = file.trim_end_matches(".sql");
        let abs = fs::canonicalize(sql_dir.join(file)).expect("migration file is readable");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("];\n");

    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migration_files.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
