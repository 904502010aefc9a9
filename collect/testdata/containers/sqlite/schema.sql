-- Podman's SQLite state schema, version 1: the CREATE TABLE statements of
-- libpod/sqlite_state_internal.go, createSQLiteTables, at Podman tag v5.8.2
-- (github.com/containers/podman), verbatim, in the order they are listed there.
CREATE TABLE IF NOT EXISTS DBConfig(
        ID            INTEGER PRIMARY KEY NOT NULL,
        SchemaVersion INTEGER NOT NULL,
        OS            TEXT    NOT NULL,
        StaticDir     TEXT    NOT NULL,
        TmpDir        TEXT    NOT NULL,
        GraphRoot     TEXT    NOT NULL,
        RunRoot       TEXT    NOT NULL,
        GraphDriver   TEXT    NOT NULL,
        VolumeDir     TEXT    NOT NULL,
        CHECK (ID IN (1))
);
CREATE TABLE IF NOT EXISTS IDNamespace(
        ID TEXT PRIMARY KEY NOT NULL
);
CREATE TABLE IF NOT EXISTS ContainerConfig(
        ID              TEXT    PRIMARY KEY NOT NULL,
        Name            TEXT    UNIQUE NOT NULL,
        PodID           TEXT,
        JSON            TEXT    NOT NULL,
        FOREIGN KEY (ID)    REFERENCES IDNamespace(ID)    DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (ID)    REFERENCES ContainerState(ID) DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (PodID) REFERENCES PodConfig(ID)
);
CREATE TABLE IF NOT EXISTS ContainerState(
        ID       TEXT    PRIMARY KEY NOT NULL,
        State    INTEGER NOT NULL,
        ExitCode INTEGER,
        JSON     TEXT    NOT NULL,
        FOREIGN KEY (ID) REFERENCES ContainerConfig(ID) DEFERRABLE INITIALLY DEFERRED,
        CHECK (ExitCode BETWEEN -1 AND 255)
);
CREATE TABLE IF NOT EXISTS ContainerExecSession(
        ID          TEXT PRIMARY KEY NOT NULL,
        ContainerID TEXT NOT NULL,
        FOREIGN KEY (ContainerID) REFERENCES ContainerConfig(ID)
);
CREATE TABLE IF NOT EXISTS ContainerDependency(
        ID           TEXT NOT NULL,
        DependencyID TEXT NOT NULL,
        PRIMARY KEY (ID, DependencyID),
        FOREIGN KEY (ID)           REFERENCES ContainerConfig(ID) DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (DependencyID) REFERENCES ContainerConfig(ID),
        CHECK (ID <> DependencyID)
);
CREATE TABLE IF NOT EXISTS ContainerVolume(
        ContainerID TEXT NOT NULL,
        VolumeName  TEXT NOT NULL,
        PRIMARY KEY (ContainerID, VolumeName),
        FOREIGN KEY (ContainerID) REFERENCES ContainerConfig(ID) DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (VolumeName)  REFERENCES VolumeConfig(Name)
);
CREATE TABLE IF NOT EXISTS ContainerExitCode(
        ID        TEXT    PRIMARY KEY NOT NULL,
        Timestamp INTEGER NOT NULL,
        ExitCode  INTEGER NOT NULL,
        CHECK (ExitCode BETWEEN -1 AND 255)
);
CREATE TABLE IF NOT EXISTS PodConfig(
        ID              TEXT    PRIMARY KEY NOT NULL,
        Name            TEXT    UNIQUE NOT NULL,
        JSON            TEXT    NOT NULL,
        FOREIGN KEY (ID) REFERENCES IDNamespace(ID) DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (ID) REFERENCES PodState(ID)    DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS PodState(
        ID               TEXT PRIMARY KEY NOT NULL,
        InfraContainerID TEXT,
        JSON             TEXT NOT NULL,
        FOREIGN KEY (ID)               REFERENCES PodConfig(ID)       DEFERRABLE INITIALLY DEFERRED,
        FOREIGN KEY (InfraContainerID) REFERENCES ContainerConfig(ID) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS VolumeConfig(
        Name            TEXT    PRIMARY KEY NOT NULL,
        StorageID       TEXT,
        JSON            TEXT    NOT NULL,
        FOREIGN KEY (Name) REFERENCES VolumeState(Name) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS VolumeState(
        Name TEXT PRIMARY KEY NOT NULL,
        JSON TEXT NOT NULL,
        FOREIGN KEY (Name) REFERENCES VolumeConfig(Name) DEFERRABLE INITIALLY DEFERRED
);
