-- UpdateThread
SELECT `threads`.`id`, `threads`.`created_at`, `threads`.`name`, `threads`.`user_id`, `threads`.`user_identifier`, `threads`.`tags`, `threads`.`metadata`, `threads`.`version` FROM `threads` WHERE `threads`.`id` = ? LIMIT ? FOR UPDATE;
SAVEPOINT strata_sp_1;
UPDATE `threads` SET `name` = ?, `version` = ? WHERE `threads`.`id` = ? AND `threads`.`version` = ?;
RELEASE SAVEPOINT strata_sp_1;
-- CreateStep
SELECT `steps`.`id`, `steps`.`thread_id`, `steps`.`parent_id`, `steps`.`name`, `steps`.`type`, `steps`.`input`, `steps`.`output`, `steps`.`metadata`, `steps`.`tags`, `steps`.`is_error`, `steps`.`created_at`, `steps`.`start_time`, `steps`.`end_time` FROM `steps` WHERE `steps`.`id` = ?;
SAVEPOINT strata_sp_1;
INSERT INTO `steps` (`id`, `thread_id`, `parent_id`, `name`, `type`, `input`, `output`, `metadata`, `tags`, `is_error`, `created_at`, `start_time`, `end_time`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `id` = `id`;
SELECT `steps`.`id`, `steps`.`thread_id`, `steps`.`parent_id`, `steps`.`name`, `steps`.`type`, `steps`.`input`, `steps`.`output`, `steps`.`metadata`, `steps`.`tags`, `steps`.`is_error`, `steps`.`created_at`, `steps`.`start_time`, `steps`.`end_time` FROM `steps` WHERE `steps`.`id` = ?;
RELEASE SAVEPOINT strata_sp_1;
-- ListThreads (search, feedback, cursor)
SELECT `threads`.`id`, `threads`.`created_at`, `threads`.`name`, `threads`.`user_id`, `threads`.`user_identifier`, `threads`.`tags`, `threads`.`metadata`, `threads`.`version` FROM `threads` WHERE (LOWER(`threads`.`name`) LIKE LOWER(?) ESCAPE '\\' OR EXISTS (SELECT 1 FROM `steps` WHERE `steps`.`thread_id` = `threads`.`id` AND (LOWER(`steps`.`input`) LIKE LOWER(?) ESCAPE '\\' OR LOWER(`steps`.`output`) LIKE LOWER(?) ESCAPE '\\'))) AND EXISTS (SELECT 1 FROM `feedbacks` WHERE `feedbacks`.`thread_id` = `threads`.`id` AND `feedbacks`.`value` = ?) AND (`threads`.`created_at` < ? OR (`threads`.`created_at` = ? AND `threads`.`id` < ?)) ORDER BY `threads`.`created_at` DESC, `threads`.`id` DESC LIMIT ?;
-- DeleteThread
SELECT `threads`.`id`, `threads`.`created_at`, `threads`.`name`, `threads`.`user_id`, `threads`.`user_identifier`, `threads`.`tags`, `threads`.`metadata`, `threads`.`version` FROM `threads` WHERE `threads`.`id` = ? LIMIT ? FOR UPDATE;
SAVEPOINT strata_sp_1;
DELETE FROM `threads` WHERE (`threads`.`id` = ? AND `threads`.`version` = ?);
RELEASE SAVEPOINT strata_sp_1;
