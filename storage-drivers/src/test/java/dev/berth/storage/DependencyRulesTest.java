package dev.berth.storage;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Drivers store bytes under paths and know nothing of OCI or of the registry; the SPI names no driver, and one
 * driver never reaches into another.
 */
@AnalyzeClasses(packages = "dev.berth.storage", importOptions = ImportOption.DoNotIncludeTests.class)
class DependencyRulesTest {

    @ArchTest
    static final ArchRule driversKnowNoOci = noClasses()
            .that()
            .resideInAPackage("dev.berth.storage..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.berth.oci..", "dev.berth.registry..", "dev.berth.puller..", "dev.berth.unionfs..");

    @ArchTest
    static final ArchRule driversAreSpringFree = noClasses()
            .that()
            .resideInAPackage("dev.berth.storage..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.springframework..");

    @ArchTest
    static final ArchRule spiNamesNoDriver = noClasses()
            .that()
            .resideInAPackage("dev.berth.storage")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.berth.storage.filesystem..", "dev.berth.storage.s3..");

    @ArchTest
    static final ArchRule driversAreIndependent =
            slices().matching("dev.berth.storage.(*)..").should().notDependOnEachOther();
}
