package dev.berth.puller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The puller is a client: it never imports the registry server or the storage drivers. Inside it, the command
 * line sits on top, the store and the registry client at the bottom, and no package cycle joins them.
 */
@AnalyzeClasses(packages = "dev.berth.puller", importOptions = ImportOption.DoNotIncludeTests.class)
class DependencyRulesTest {

    @ArchTest
    static final ArchRule neverImportsTheServer = noClasses()
            .that().resideInAPackage("dev.berth.puller..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.berth.registry..", "dev.berth.storage..", "org.springframework..");

    @ArchTest
    static final ArchRule noPackageCycles = slices()
            .matching("dev.berth.puller.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule onlyTheCommandLineUsesTheCommandLine = noClasses()
            .that().resideOutsideOfPackage("dev.berth.puller.cli..")
            .should().dependOnClassesThat().resideInAPackage("dev.berth.puller.cli..");

    @ArchTest
    static final ArchRule storeAndRegistryClientAreTheBottom = noClasses()
            .that().resideInAnyPackage("dev.berth.puller.store..", "dev.berth.puller.registry..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.berth.puller.agent..", "dev.berth.puller.cli..", "dev.berth.puller.mount..",
                    "dev.berth.puller.pull..", "dev.berth.puller.snapshot..");
}
