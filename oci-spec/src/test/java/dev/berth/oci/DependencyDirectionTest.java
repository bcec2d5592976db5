package dev.berth.oci;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The shared OCI model sits at the bottom: it depends on nothing of Berth's and nothing of Spring. */
@AnalyzeClasses(packages = "dev.berth.oci", importOptions = ImportOption.DoNotIncludeTests.class)
class DependencyDirectionTest {

    @ArchTest
    static final ArchRule ociDependsOnNoOtherBerthPackage = noClasses()
            .that()
            .resideInAPackage("dev.berth.oci..")
            .should()
            .dependOnClassesThat(resideInAPackage("dev.berth..").and(resideOutsideOfPackage("dev.berth.oci..")));

    @ArchTest
    static final ArchRule ociIsSpringFree = noClasses()
            .that()
            .resideInAPackage("dev.berth.oci..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.springframework..");
}
