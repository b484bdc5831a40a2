"""Staff accounts: the staff login with a second factor, roles per department, the
lockout after failed logins and the idle-session timeout (docs/identity-staff.md)."""
