/// The committed SDL is what external tools and the app's typed operations compile against:
/// it must always match the schema. `UPDATE_SCHEMA=1` rewrites it.
#[test]
fn schema_sdl_matches_the_committed_file() {
    // Arrange
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let current = server::graphql::sdl();

    // Act
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();

    // Assert
    assert!(
        committed == current,
        "server/schema.graphql is out of date; run `UPDATE_SCHEMA=1 cargo nextest run -p server schema_sdl`"
    );
}
