//! The command-line tools against the real binary: `backup`, `import openclaw`, `onboard` (scripted and on a real
//! terminal), the operations commands, `service`, and the CLI finding its gateway.

mod backup;
mod backup_archives;
mod backup_hostile;
mod cli;
mod import;
mod import_hostile;
mod onboard;
mod onboard_tty;
mod ops;
mod service;
