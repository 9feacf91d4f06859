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
}
