// Functions a read-only SQL check refuses, whatever the dialect: they read or write server files, run
// programs or other SQL text (which the check cannot see), reach other servers, write (sequences, large
// objects, settings, WAL, replication slots, statistics, index maintenance, transaction ids, raw pages),
// read relations by name past a table list, signal or stall the server.
// Names are compared lower-cased; a name is denied when it is listed or starts with a listed prefix.
// For postgresql this is not what keeps a query read-only (the allow-list of sql-pg-calls.ts is); it is
// the set a policy's `functions: [...]` can never allow, and a second net under the allow-list.

export const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  // PostgreSQL: files and large objects (the `lo_`, `pg_read_`, `pg_ls_`, `pg_file_` prefixes cover the rest)
  "pg_stat_file", "pg_logdir_ls", "loread", "lowrite",
  // PostgreSQL: writes and state changes
  "nextval", "setval", "set_config", "txid_current", "pg_current_xact_id", "pg_notify",
  "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
  "pg_switch_wal", "pg_switch_xlog", "pg_create_restore_point", "pg_start_backup", "pg_stop_backup",
  "pg_backup_start", "pg_backup_stop", "pg_import_system_collations", "pg_drop_replication_slot",
  "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
  "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot", "pg_sync_replication_slots",
  "pg_log_backend_memory_contexts", "pg_log_standby_snapshot", "pg_extension_config_dump",
  "pg_stat_statements_reset", "pg_stop_making_pinned_objects", "pg_nextoid", "currtid2",
  "pg_hba_file_rules", "pg_ident_file_mappings", "pg_show_all_file_settings", "pg_current_logfile",
  // PostgreSQL: index maintenance (BRIN, GIN) and PostgreSQL 18's statistics writers
  "brin_summarize_range", "brin_summarize_new_values", "brin_desummarize_range", "gin_clean_pending_list",
  "pg_restore_relation_stats", "pg_restore_attribute_stats", "pg_clear_relation_stats",
  "pg_clear_attribute_stats", "pg_stat_reset_backend_stats",
  // contrib: run SQL text (tablefunc, xml2), write (pg_surgery, pg_visibility, pg_prewarm, amcheck
  // repairs), read relations by name or raw pages (pageinspect, pgstattuple, pg_freespacemap)
  "connectby", "xpath_table", "heap_force_kill", "heap_force_freeze", "pg_truncate_visibility_map",
  "pg_prewarm", "autoprewarm_start_worker", "autoprewarm_dump_now", "get_raw_page", "pg_freespace",
  "pgstatindex", "pgstatginindex", "pgstathashindex", "bt_metap", "bt_page_items", "bt_page_stats",
  "bt_multi_page_stats", "brin_page_items", "brin_metapage_info", "brin_revmap_data", "gin_metapage_info",
  "gin_page_opaque_info", "gin_leafpage_items", "gist_page_items", "gist_page_opaque_info",
  "hash_page_items", "hash_page_stats", "hash_page_type", "hash_bitmap_info", "heap_page_items",
  "page_header", "fsm_page_contents", "pg_visibility", "pg_visibility_map", "pg_visibility_map_summary",
  "pg_check_frozen", "pg_check_visible", "pgrowlocks", "bt_index_check", "bt_index_parent_check",
  "verify_heapam", "gin_index_check", "pg_buffercache_evict", "pg_buffercache_evict_all",
  // PostgreSQL: run SQL given as text (invisible to the check, and past any table list)
  "ts_stat", "ts_rewrite",
  // MySQL / MariaDB, SQL Server, and common UDF names
  "copy_from", "copy_to", "load_file", "sys_exec", "sys_eval", "xp_cmdshell", "sleep", "benchmark", "waitfor",
]);

export const DENIED_PREFIXES: readonly string[] = [
  "lo_", "pg_read_", "pg_ls_", "pg_file_", "dblink", "pg_sleep", "pg_advisory", "pg_try_advisory",
  "pg_stat_reset", "pg_replication_", "pg_logical_", "pg_wal_replay_", "binary_upgrade_",
  "query_to_xml", "table_to_xml", "cursor_to_xml", "database_to_xml", "schema_to_xml",
  "crosstab", "pgstattuple", "pg_stat_reset_", "pg_get_wal_", "postgres_fdw_", "pg_control_",
];

/** The lower-cased name when it is denied, else null. */
export function deniedFunction(name: string): string | null {
  const p = name.toLowerCase();
  return DENIED_FUNCTIONS.has(p) || DENIED_PREFIXES.some((x) => p.startsWith(x)) ? p : null;
}
