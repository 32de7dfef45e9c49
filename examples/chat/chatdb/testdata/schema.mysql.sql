CREATE TABLE `users` (
	`id` CHAR(36) NOT NULL,
	`identifier` VARCHAR(200) NOT NULL,
	`metadata` JSON NOT NULL,
	`created_at` DATETIME(6) NOT NULL,
	PRIMARY KEY (`id`),
	CONSTRAINT `uq_users_identifier` UNIQUE (`identifier`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE `threads` (
	`id` CHAR(36) NOT NULL,
	`created_at` DATETIME(6) NOT NULL,
	`name` VARCHAR(255) NOT NULL,
	`user_id` CHAR(36) NULL,
	`user_identifier` VARCHAR(200) NOT NULL,
	`tags` JSON NOT NULL,
	`metadata` JSON NOT NULL,
	`version` INT NOT NULL,
	PRIMARY KEY (`id`),
	CONSTRAINT `fk_threads_user_id_users` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_threads_created_at` ON `threads` (`created_at`);
CREATE INDEX `ix_threads_user_id` ON `threads` (`user_id`);
CREATE TABLE `steps` (
	`id` CHAR(36) NOT NULL,
	`thread_id` CHAR(36) NOT NULL,
	`parent_id` CHAR(36) NULL,
	`name` VARCHAR(255) NOT NULL,
	`type` VARCHAR(50) NOT NULL,
	`input` LONGTEXT NOT NULL,
	`output` LONGTEXT NOT NULL,
	`metadata` JSON NOT NULL,
	`tags` JSON NOT NULL,
	`is_error` BOOLEAN NOT NULL,
	`created_at` DATETIME(6) NOT NULL,
	`start_time` DATETIME(6) NULL,
	`end_time` DATETIME(6) NULL,
	PRIMARY KEY (`id`),
	CONSTRAINT `fk_steps_thread_id_threads` FOREIGN KEY (`thread_id`) REFERENCES `threads` (`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_steps_parent_id_steps` FOREIGN KEY (`parent_id`) REFERENCES `steps` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_steps_thread_id` ON `steps` (`thread_id`);
CREATE INDEX `ix_steps_parent_id` ON `steps` (`parent_id`);
CREATE TABLE `elements` (
	`id` CHAR(36) NOT NULL,
	`thread_id` CHAR(36) NOT NULL,
	`for_id` CHAR(36) NULL,
	`type` VARCHAR(50) NOT NULL,
	`name` VARCHAR(255) NOT NULL,
	`mime` VARCHAR(100) NOT NULL,
	`display` VARCHAR(20) NOT NULL,
	`size` BIGINT NOT NULL,
	`object_key` VARCHAR(200) NOT NULL,
	`url` VARCHAR(2048) NOT NULL,
	PRIMARY KEY (`id`),
	CONSTRAINT `fk_elements_thread_id_threads` FOREIGN KEY (`thread_id`) REFERENCES `threads` (`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_elements_for_id_steps` FOREIGN KEY (`for_id`) REFERENCES `steps` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_elements_thread_id` ON `elements` (`thread_id`);
CREATE INDEX `ix_elements_for_id` ON `elements` (`for_id`);
CREATE TABLE `feedbacks` (
	`id` CHAR(36) NOT NULL,
	`for_id` CHAR(36) NOT NULL,
	`thread_id` CHAR(36) NOT NULL,
	`value` INT NOT NULL,
	`comment` LONGTEXT NULL,
	PRIMARY KEY (`id`),
	CONSTRAINT `uq_feedbacks_for_id` UNIQUE (`for_id`),
	CONSTRAINT `fk_feedbacks_for_id_steps` FOREIGN KEY (`for_id`) REFERENCES `steps` (`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_feedbacks_thread_id_threads` FOREIGN KEY (`thread_id`) REFERENCES `threads` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX `ix_feedbacks_thread_id` ON `feedbacks` (`thread_id`);
