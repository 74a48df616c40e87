//! Tasks, their assignee and the sessions that worked on them.

use super::{int, opt_text, text, Scope, Store, StoreError};
use sqlx::any::AnyRow;
use tandem_shared::api::{Task, TaskStatus};
use tandem_shared::{AssistantId, SessionId};

const COLUMNS: &str =
    "id, title, body, status, assignee_id, parent_id, private_to, created_at, updated_at";

impl Store {
    pub async fn create_task(&self, task: &Task) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tasks (id, title, body, status, assignee_id, parent_id, private_to, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&task.id)
        .bind(&task.title)
        .bind(&task.body)
        .bind(task.status.as_str())
        .bind(task.assignee_id.as_ref().map(|id| id.0.clone()))
        .bind(task.parent_id.clone())
        .bind(task.private_to.as_ref().map(|id| id.0.clone()))
        .bind(task.created_at)
        .bind(task.updated_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn update_task(&self, task: &Task) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tasks SET title = $1, body = $2, status = $3, assignee_id = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(&task.title)
        .bind(&task.body)
        .bind(task.status.as_str())
        .bind(task.assignee_id.as_ref().map(|id| id.0.clone()))
        .bind(task.updated_at)
        .bind(&task.id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn get_task(&self, id: &str) -> Result<Option<Task>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => {
                let mut task = task_from_row(&row)?;
                task.session_ids = self.task_session_ids(&task.id).await?;
                Ok(Some(task))
            }
            None => Ok(None),
        }
    }

    /// Newest first.
    /// The board as `scope` sees it: unassigned tasks, and those of
    /// assistants in scope, but for tasks private to an assistant out of it.
    pub async fn list_tasks(&self, scope: Scope<'_>) -> Result<Vec<Task>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE (assignee_id IS NULL OR {}) \
             AND (private_to IS NULL OR {}) \
             ORDER BY created_at DESC, id DESC LIMIT 1000",
            scope.condition("assignee_id", 1),
            scope.condition("private_to", 1)
        ))
        .bind(scope.bind_value())
        .fetch_all(&self.pool)
        .await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut task = task_from_row(row)?;
            task.session_ids = self.task_session_ids(&task.id).await?;
            tasks.push(task);
        }
        Ok(tasks)
    }

    pub async fn link_task_session(
        &self,
        task_id: &str,
        session_id: &SessionId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO task_sessions (task_id, session_id) VALUES ($1, $2) \
             ON CONFLICT (task_id, session_id) DO NOTHING",
        )
        .bind(task_id)
        .bind(session_id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Tasks a session worked on.
    pub async fn tasks_of_session(&self, session_id: &SessionId) -> Result<Vec<Task>, StoreError> {
        let rows = sqlx::query("SELECT task_id FROM task_sessions WHERE session_id = $1")
            .bind(session_id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut tasks = Vec::new();
        for row in &rows {
            if let Some(task) = self.get_task(&text(row, "task_id")?).await? {
                tasks.push(task);
            }
        }
        Ok(tasks)
    }

    async fn task_session_ids(&self, task_id: &str) -> Result<Vec<SessionId>, StoreError> {
        let rows = sqlx::query(
            "SELECT session_id FROM task_sessions WHERE task_id = $1 ORDER BY session_id",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(SessionId(text(row, "session_id")?)))
            .collect()
    }
}

fn task_from_row(row: &AnyRow) -> Result<Task, StoreError> {
    let status = text(row, "status")?;
    Ok(Task {
        id: text(row, "id")?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        status: TaskStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("task status `{status}`")))?,
        assignee_id: opt_text(row, "assignee_id")?.map(AssistantId),
        parent_id: opt_text(row, "parent_id")?,
        private_to: opt_text(row, "private_to")?.map(AssistantId),
        session_ids: Vec::new(),
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}
