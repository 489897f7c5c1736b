//! The behavioural suite: every test talks to a real server over gRPC, and the whole suite runs
//! once per storage backend (`tests/sqlite.rs`, `tests/postgres.rs`).

pub mod access;
pub mod agency_plan;
pub mod assessment;
pub mod catalog;
pub mod cli;
pub mod contract;
pub mod cycle;
pub mod fixtures;
pub mod inputs;
pub mod limits;
pub mod maturity_results;
pub mod operators;
pub mod readme;
pub mod recomputation;
pub mod review;
pub mod submission;
pub mod summary;
pub mod tasks;
pub mod upgrade;
pub mod web;
pub mod words;

/// Declares one `#[tokio::test]` per behavioural test, run against `$backend`.
#[macro_export]
macro_rules! behavioural_suite {
    ($backend:expr) => {
        $crate::behavioural_suite!($backend;
            submission::a_valid_report_is_accepted_with_a_full_receipt,
            submission::a_report_breaking_many_rules_gets_every_violation_and_leaves_nothing,
            submission::each_validation_rule_names_its_field,
            submission::unknown_agency_period_and_non_agencies_are_refused,
            submission::a_retried_request_id_stores_nothing_new,
            submission::a_reused_request_id_with_other_content_is_refused,
            submission::corrections_become_revisions_and_the_latest_counts,
            submission::validate_only_checks_everything_and_stores_nothing,
            submission::a_merged_agency_corrects_old_reports_but_cannot_report_after_its_merger,
            submission::late_reports_are_kept_and_flagged,
            submission::listing_pages_through_everything_exactly_once,
            submission::an_import_stream_answers_each_report_in_order,
            submission::an_import_batch_keeps_revisions_and_request_ids,
            submission::an_unknown_submission_is_not_found,
            submission::concurrent_submits_get_distinct_revisions,
            submission::concurrent_writers_of_any_revisioned_record_queue_and_none_aborts,
            submission::a_replay_says_which_revision_counts_now,
            submission::a_province_enters_paper_reports_and_the_ministry_imports_history,
            submission::plausibility_warnings_are_returned_stored_and_listed_never_blocking,
            catalog::periods_run_from_2023_to_2030_with_their_deadlines,
            catalog::organisations_are_listed_as_they_stood_on_a_date,
            catalog::an_organisation_shows_its_history_and_links,
            catalog::plans_carry_their_targets_and_milestones,
            catalog::indicators_describe_every_report_field,
            catalog::health_reports_serving,
            catalog::an_import_withdraws_an_illustrative_organisation,
            catalog::maturity_frameworks_are_served_with_what_is_known,
            catalog::a_maturity_framework_import_is_recorded_and_verified,
            summary::hand_worked_summaries_of_a_small_province,
            summary::scopes_over_time_and_baselines_worked_out_by_hand,
            summary::summaries_equal_an_independent_recomputation,
            summary::figures_kept_up_to_date_equal_figures_computed_afresh,
            summary::the_change_feed_lists_every_submission_once,
            summary::two_servers_share_a_database_without_losing_anything,
            summary::a_watcher_hears_of_each_change,
            summary::summary_requests_are_checked,
            summary::every_plan_is_served_for_every_period_and_scope_kind,
            recomputation::figures_equal_a_recomputation_from_the_proto_under_both_boundaries,
            cli::the_cli_submits_a_report_file_and_lists_it,
            cli::catalog_import_is_idempotent_and_reports_every_problem,
            cli::the_cli_prints_summaries_and_reporting_status,
            cli::the_cli_creates_lists_and_revokes_tokens,
            cli::the_cli_ends_quietly_when_its_reader_goes_away,
            cli::the_cli_prints_json_and_csv_for_programs,
            cli::the_cli_imports_a_directory_of_reports,
            cli::the_cli_names_the_cause_of_a_failed_connection,
            cli::the_cli_usage_names_only_what_the_command_line_lacks,
            cli::the_cli_reopens_a_period_for_a_time_counted_from_its_closing,
            cli::the_cli_drafts_signs_and_renders_the_province_report,
            cli::the_cli_submits_appraises_and_shows_a_self_assessment_and_results,
            cli::the_cli_submits_decides_lists_and_follows_an_agency_plan,
            cli::the_cli_reports_task_progress_and_follows_the_plan,
            cycle::the_province_checks_reports_and_signs_its_report_to_the_ministry,
            assessment::a_self_assessment_is_checked_scored_appraised_kept_and_audited,
            agency_plan::an_agency_plan_is_returned_revised_approved_and_followed_beside_the_province,
            tasks::tasks_are_reported_kept_followed_and_audited,
            maturity_results::results_rank_within_blocks_and_sum_up_scopes_across_the_merger,
            maturity_results::a_comparison_across_framework_versions_compares_pillar_shares_only,
            maturity_results::the_province_report_holds_the_level_counts_once_its_agencies_assessed_themselves,
            access::every_rpc_answers_each_kind_of_caller_as_the_table_says,
            access::refusals_say_why_and_never_confuse_unauthenticated_with_denied,
            access::a_province_lists_only_its_own_agencies_reports,
            access::a_revoked_token_is_refused_by_every_server_as_soon_as_it_hears_of_it,
            access::the_audit_chain_records_every_write_and_catches_tampering,
            access::audit_verify_catches_every_edit_behind_a_figure,
            access::oversized_messages_and_bursts_are_refused_with_resource_exhausted,
            access::a_deadline_is_honoured,
            access::tls_serves_encrypted_and_plaintext_clients_are_turned_away,
            access::mutual_tls_requires_a_client_certificate_that_can_act_as_an_agency,
            contract::malformed_messages_are_the_callers_error,
            contract::missing_fields_are_named_before_anything_else,
            contract::long_input_is_echoed_short,
            contract::an_unknown_method_is_unimplemented,
            contract::unknown_codes_name_the_closest_valid_ones,
            contract::the_servers_timeout_is_deadline_exceeded,
            contract::a_database_outage_is_unavailable_with_a_retry_delay,
            contract::a_database_that_goes_silent_is_unavailable_within_seconds,
            contract::an_empty_scope_is_the_callers_own_organisation,
            contract::every_list_pages_with_signed_tokens,
            operators::operator_commands_open_an_existing_database_only,
            operators::database_passwords_stay_hidden,
            operators::an_unreachable_database_is_reported_at_start,
            operators::metrics_count_calls_submissions_and_cache_hits,
            web::a_browser_page_shows_the_figures_over_grpc_web,
            operators::logs_are_plain_off_a_terminal_or_json_on_request,
            operators::serve_loads_a_given_catalogue_into_an_empty_database,
            limits::silent_connections_cannot_lock_clients_out,
            limits::connections_without_a_credential_cannot_take_the_places_of_clients_with_one,
            limits::an_import_counts_each_report_against_the_rate,
            limits::a_back_fill_sent_a_frame_a_message_goes_through_one_stream,
            limits::failed_authentications_are_limited_per_address,
            limits::stopping_ends_open_streams_and_says_not_serving,
            review::a_closed_period_takes_reports_only_where_the_province_reopened_it,
            review::a_province_returns_a_report_and_accepts_its_correction,
            readme::every_command_block_of_the_readme_runs_as_written,
            inputs::a_request_id_over_128_characters_is_refused_on_every_submit,
            inputs::a_review_gives_at_most_100_reasons,
            inputs::dates_numbers_codes_and_links_are_read_strictly,
            words::a_self_assessment_reads_as_the_proto_words_it,
            words::checks_come_in_the_order_the_proto_states,
            words::summaries_read_as_the_proto_words_them,
            words::a_successor_reviews_and_verify_names_every_counter,
            upgrade::a_database_of_the_previous_release_upgrades_in_place,
        );
    };
    ($backend:expr; $($module:ident :: $test:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                suite::$module::$test($backend).await;
            }
        )+
    };
}
