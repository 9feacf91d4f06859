package dev.imagedisk.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageRuntimeTest {
    @Test
    void imageRuntimeIsTheLastStagesTemurinRelease() {
        assertEquals(
                25,
                ImageRuntimeAccess.lastStageFeature(List.of(
                        "FROM maven:3.9-eclipse-temurin-17 AS build",
                        "RUN x",
                        "FROM eclipse-temurin:25-jre-noble",
                        "USER 1")));
    }

    @Test
    void imageRuntimeIsTheDebianJdkTheRuntimeIsJlinkedFrom() {
        assertEquals(
                17,
                ImageRuntimeAccess.lastStageFeature(List.of(
                        "ARG BASE=debian:bookworm-slim",
                        "# openjdk-21-jdk would also do",
                        "FROM ${BASE} AS runtime",
                        "    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless binutils \\",
                        "FROM ${BASE}")));
    }
}
